"""The trustees' key commands: making a key pair and registering a public key for an issuing body."""

from __future__ import annotations

import io
import stat

import pytest
from django.core.management import CommandError, call_command
from pyrage import x25519

from undersigned.core.crypto import new_identity
from undersigned.sealing.models import Trustee

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# --- create_trustee_key ---------------------------------------------------------------------------


def test_create_trustee_key_writes_a_private_key_only_its_owner_reads_and_registers_the_public_key(
    open_statement, tmp_path
):
    key_file = tmp_path / "tess.key"

    out, err = run("create_trustee_key", "--output", str(key_file), "--body", "public-libraries", "--name", "Theo")

    public_key = out.strip()
    assert public_key.startswith("age1")
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    identity = next(line for line in key_file.read_text().splitlines() if line.startswith("AGE-SECRET-KEY-1"))
    assert str(x25519.Identity.from_str(identity).to_public()) == public_key
    assert identity not in out + err
    trustee = Trustee.objects.get(public_key=public_key)
    assert (trustee.commission, trustee.name, trustee.is_active) == (open_statement.commission, "Theo", True)


def test_create_trustee_key_never_overwrites_an_existing_key_file(open_statement, tmp_path):
    key_file = tmp_path / "tess.key"
    key_file.write_text("AGE-SECRET-KEY-1 the trustee's only copy\n")
    trustees = Trustee.objects.count()

    with pytest.raises(CommandError, match="exists already"):
        run("create_trustee_key", "--output", str(key_file), "--body", "public-libraries", "--name", "Theo")

    assert key_file.read_text() == "AGE-SECRET-KEY-1 the trustee's only copy\n"
    assert Trustee.objects.count() == trustees


def test_create_trustee_key_offline_registers_nothing(open_statement, tmp_path):
    key_file = tmp_path / "offline.key"
    trustees = Trustee.objects.count()

    out, _ = run("create_trustee_key", "--output", str(key_file), "--offline")

    assert out.strip().startswith("age1")
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert Trustee.objects.count() == trustees


# --- add_trustee ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "public_key",
    [
        "age1notakey",
        "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ",
        "ssh-ed25519 AAAA",
        "",
    ],
)
def test_add_trustee_refuses_a_malformed_key_and_says_why(open_statement, public_key):
    trustees = Trustee.objects.count()

    with pytest.raises(CommandError, match="not an age public key"):
        run("add_trustee", "--body", "public-libraries", "--name", "Theo", "--public-key", public_key)

    assert Trustee.objects.count() == trustees


def test_add_trustee_registers_a_well_formed_key(open_statement):
    _, public_key = new_identity()

    out, _ = run("add_trustee", "--body", "public-libraries", "--name", "Theo", "--public-key", public_key)

    assert public_key in out
    assert Trustee.objects.filter(commission=open_statement.commission, public_key=public_key).exists()
