"""The whole journey of issue 23 on the real site: a signer downloads receipts from their own
pages, a witness cosigns the checkpoint, and a stranger checks the receipts and recounts every
statement from the tiles the site serves, with the stand-alone script and nothing of ours."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from undersigned.ledger import site_log, tlog
from undersigned.ledger.log_selectors import published_checkpoint
from undersigned.ledger.models import LogWitness
from undersigned.ledger.selectors import head_document
from undersigned.ledger.services import seal_pending
from undersigned.ledger.witnessing import witness_newest_checkpoint
from undersigned.privacy.tokens import PersonRef, data_link_token
from undersigned.signatures.services import signature_withdraw
from undersigned.signatures.tests.conftest import OpenStatement, build_open_statement, sign
from undersigned.testing import ROOT

pytestmark = pytest.mark.django_db

SCRIPT = ROOT / "tools" / "verify_statement.py"
# The system's Python with Debian's cryptography and none of the project's packages, where there is
# one; else this one, isolated from the project (-I).
PYTHON = shutil.which("python3", path="/usr/bin") or sys.executable


@pytest.fixture
def target(libraries) -> OpenStatement:
    return build_open_statement(libraries)


def tool(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603  (our own script)
        [PYTHON, "-I", str(SCRIPT), *arguments], capture_output=True, text=True, check=False
    )


def mirror(client, directory: Path) -> None:
    """Copies the log as the site serves it (checkpoint, tiles, entry bundles) to ``directory``."""
    checkpoint = client.get("/log/checkpoint")
    assert checkpoint.status_code == 200
    (directory / "checkpoint").write_bytes(checkpoint.content)
    size = tlog.parse_checkpoint(tlog.parse_note(checkpoint.content).text).size
    paths = []
    for tile in tlog.tiles_for_size(size):
        paths.append(tile.path)
        if tile.level == 0:
            paths.append(tile.entries_path)
    for path in paths:
        response = client.get(f"/log/{path}")
        assert response.status_code == 200, path
        (directory / path).parent.mkdir(parents=True, exist_ok=True)
        (directory / path).write_bytes(response.content)


def test_a_stranger_checks_a_signers_receipts_and_recounts_the_statement(client, target, tmp_path, go_witness):
    running = go_witness(site_log.log_verifiers()[0].vkey)
    witness_key = tlog.Verifier.from_vkey(running.vkey)
    LogWitness.objects.create(name=witness_key.name, url=running.url, vkey=running.vkey)
    email = "counted.then.withdrawn@example.org"
    signature = sign(target, email=email, country="ES", confirm=True)
    for number, country in enumerate(["FR", "FR", "MA"]):
        sign(target, email=f"other{number}@example.org", country=country, confirm=True)
    seal_pending()
    signature_withdraw(signature_id=signature.pk, statement_id=target.statement.pk)
    seal_pending()
    assert witness_newest_checkpoint() == [f"{witness_key.name}: cosigned 5"]

    token = data_link_token(PersonRef.of_address(email))
    page = client.get(f"/your-data/{token}/").content.decode()
    base = f"/your-data/{token}/receipt/signature/{signature.public_id}/?event="
    receipts = []
    for number, part in enumerate(page.split(base)[1:]):
        path = tmp_path / f"receipt-{number}.tlog-proof"
        path.write_bytes(client.get(base + part.split('"')[0]).content)
        receipts.append(str(path))
    assert len(receipts) == 2
    log_key = site_log.log_verifiers()[0].vkey

    checked = tool("receipt", *receipts, "--log", log_key, "--witness", running.vkey, "--quorum", "1")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert target.statement.slug in checked.stdout and witness_key.name in checked.stdout
    assert "no longer counted" in checked.stdout
    assert signature.public_id not in checked.stdout

    for refused in (
        tool("receipt", receipts[0], "--log", log_key, "--witness", running.vkey, "--quorum", "2"),
        tool("receipt", receipts[0], "--log", tlog.Signer.generate("testserver/log").verifier.vkey),
    ):
        assert refused.returncode == 1 and "FAILED" in refused.stdout + refused.stderr

    log_dir = tmp_path / "log"
    log_dir.mkdir()
    mirror(client, log_dir)
    head = tmp_path / "head.json"
    head.write_text(json.dumps(head_document(target.statement)))
    counted = tool(
        "counts", str(log_dir), "--log", log_key, "--statement", target.statement.slug, "--head", str(head), "--json"
    )
    assert counted.returncode == 0, counted.stdout + counted.stderr
    recounted = json.loads(counted.stdout)["statements"][target.statement.slug]
    assert recounted["signatures"] == head_document(target.statement)["counts"]["signatures"]
    assert recounted["signatures"] == {"total": 3, "by_country": {"FR": 2, "MA": 1}}
    assert published_checkpoint().size == recounted["events"] == 5
