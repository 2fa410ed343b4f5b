"""The sealed export of a statement's signers, downloaded from the staff workspace.

The download asks for a code of the second factor at that moment, however long ago the session
was verified: a session left open on a shared computer must not be enough to take signers' data
away. The file holds the contact data still sealed to the trustees; each download is an audit event
and a public ledger entry (see ``sealed_export``).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from undersigned.accounts.forms import CodeForm
from undersigned.accounts.models import User
from undersigned.accounts.second_factor import code_accepted, mark_verified
from undersigned.permissions.access import access_statement, staff_member
from undersigned.permissions.roles import Capability
from undersigned.signatures.sealed_export import sealed_export_write
from undersigned.signatures.selectors import exportable_counts
from undersigned.statements.models import Statement


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def sealed_export(request: HttpRequest, slug: str) -> HttpResponse | FileResponse:
    actor = staff_member(request)
    statement = access_statement(actor=actor, slug=slug, capability=Capability.EXPORT)
    form = CodeForm(
        request.POST or None,
        request=request,
        user=actor,
        accept=lambda code: code_accepted(actor, code),
        wrong=_("This code is not right, or was already used. Type the newest code of your app."),
    )
    include_pending = request.POST.get("include_pending") == "yes"
    if request.method == "POST" and form.is_valid():
        mark_verified(request, form.accepted)
        return _download(actor, statement, include_pending=include_pending)
    return render(
        request,
        "signatures/staff/export.html",
        {
            "statement": statement,
            "form": form,
            "records": exportable_counts(statement_id=statement.pk),
            "include_pending": include_pending,
        },
        status=400 if form.errors else 200,
    )


def _download(actor: User, statement: Statement, *, include_pending: bool) -> FileResponse:
    # The zip holds only sealed records; it is written to a private temporary file that is unlinked
    # at once, so it disappears when the response has been sent.
    directory = tempfile.mkdtemp(prefix="undersigned-export-")
    path = Path(directory) / "export.zip"
    try:
        sealed_export_write(actor=actor, statement=statement, path=path, include_pending=include_pending)
        handle = path.open("rb")
    finally:
        if path.exists():
            path.unlink()
        os.rmdir(directory)
    name = f"{statement.slug}-signatures-sealed-{timezone.now():%Y%m%d-%H%M}.zip"
    return FileResponse(handle, as_attachment=True, filename=name, content_type="application/zip")
