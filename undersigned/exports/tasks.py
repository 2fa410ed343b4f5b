from __future__ import annotations

from django_tasks import task

from undersigned.exports.services import file_build


@task()
def build_signed_statement(statement_id: int, language: str, paper: str) -> str:
    built = file_build(statement_id=statement_id, language=language, paper=paper)
    return f"signed statement {statement_id} [{built.language}, {paper}]: {len(built.pdf)} bytes"
