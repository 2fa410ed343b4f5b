"""A published statement in English and Arabic with signers (shown, initialled, hidden) and
organisations, built through the domains' services; and readers of the PDFs it gives."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from undersigned.ledger.services import seal_pending
from undersigned.organisations.types import ensure_builtin_types
from undersigned.privacy.tests.conftest import signed_on
from undersigned.signatures.tests.conftest import OpenStatement, sign
from undersigned.statements.tests.builders import published_statement
from undersigned.testing import secretariat, trustee_for

SLUG = "library-opening-hours"
# The tools by their full paths; scripts/test installs poppler-utils and zbar-tools.
TOOLS = {tool: shutil.which(tool) or "" for tool in ("pdftotext", "pdftoppm", "pdfinfo", "zbarimg")}
if not all(TOOLS.values()):
    raise RuntimeError("the export tests need poppler-utils and zbar-tools (apt-get install poppler-utils zbar-tools)")


@pytest.fixture
def target(libraries) -> OpenStatement:
    ensure_builtin_types()
    trustee, identity = trustee_for(libraries, name="Tom Trustee")
    statement = published_statement(libraries, slug=SLUG, translations=("fr", "ar"))
    revision = statement.texts.get(language="en").published_revision
    return OpenStatement(
        statement=statement, revision=revision, commission=libraries, trustee=trustee, identity=identity
    )


@pytest.fixture
def signed(target) -> OpenStatement:
    """Three signers who show a name (one as first name and initial), one who does not, and two
    approved organisations in two countries; sealed into the ledger."""
    sign(target, email="ada@example.org", name="Ada Lovelace", country="GB", confirm=True)
    sign(target, email="layla@example.org", name="مريم حداد", country="MA", confirm=True)
    sign(target, email="grace@example.org", name="Grace Hopper", name_shown="initial", country="US", confirm=True)
    sign(target, email="hidden@example.org", name="Hidden Person", name_shown="hidden", country="FR", confirm=True)
    sign(target, email="pending@example.org", name="Pending Person", country="FR")  # never confirmed
    reviewer = secretariat()
    signed_on(target, contact_email="rosa@example.org", approve_by=reviewer, name="Neighbourhood Readers' Association")
    signed_on(target, contact_email="omar@example.org", approve_by=reviewer, name="جمعية أصدقاء المكتبة")
    signed_on(target, contact_email="rejected@example.org", name="Unapproved Society")
    seal_pending()
    return target


def pdf_text(pdf: bytes, tmp_path: Path, *, layout: bool = False) -> str:
    path = tmp_path / "read.pdf"
    path.write_bytes(pdf)
    options = ["-layout"] if layout else []
    return subprocess.run(
        [TOOLS["pdftotext"], *options, "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def pdf_info(pdf: bytes, tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "info.pdf"
    path.write_bytes(pdf)
    output = subprocess.run([TOOLS["pdfinfo"], str(path)], check=True, capture_output=True, text=True).stdout
    return {key.strip(): value.strip() for key, _sep, value in (line.partition(":") for line in output.splitlines())}


def qr_codes(pdf: bytes, tmp_path: Path) -> list[str]:
    """What zbarimg reads on the first page, rendered at 150 dpi."""
    path = tmp_path / "qr.pdf"
    path.write_bytes(pdf)
    subprocess.run(
        [TOOLS["pdftoppm"], "-png", "-r", "150", "-f", "1", "-l", "1", str(path), str(tmp_path / "page")], check=True
    )
    image = next(tmp_path.glob("page*.png"))
    found = subprocess.run([TOOLS["zbarimg"], "-q", "--raw", str(image)], capture_output=True, text=True)
    return found.stdout.split()
