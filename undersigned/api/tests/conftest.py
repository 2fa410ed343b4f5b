"""A statement that takes signatures (the signature tests' builder), and signatures and sign-ons
made through the services, for the API's tests."""

from __future__ import annotations

from typing import Any

import pytest

from undersigned.organisations.models import OrganisationType, SignOn
from undersigned.organisations.services.sign_ons import (
    SignOnInput,
    sign_on_confirm,
    sign_on_record,
    sign_ons_approve,
)
from undersigned.organisations.types import ensure_builtin_types
from undersigned.signatures.addresses import email_hash
from undersigned.signatures.models import Signature
from undersigned.signatures.services import SIGN_FORM_TIMER, SignerInput, signature_confirm, signature_record
from undersigned.signatures.tests.conftest import OpenStatement, build_open_statement
from undersigned.statements.models import Statement
from undersigned.testing import drawn_form_token, secretariat


@pytest.fixture
def open_statement(libraries) -> OpenStatement:
    ensure_builtin_types()
    return build_open_statement(libraries)


def api_url(statement: Statement, tail: str = "") -> str:
    return f"/api/v1/statements/{statement.slug}{tail}"


def confirmed_signature(statement: Statement, email: str, country: str = "FR", name: str = "Ana Pérez") -> Signature:
    signature_record(
        statement=statement,
        revision=statement.texts.get(language="en").published_revision,
        signer=SignerInput(name=name, email=email, country=country),
        network_hash=email_hash(email),  # one network per address: many from one are a fraud signal
        language="en",
        proof_of_work=False,
    )
    signature = Signature.objects.get(statement=statement, email_hash=email_hash(email))
    return signature_confirm(signature_id=signature.pk, statement_id=statement.pk)


def awaiting_sign_on(statement: Statement, name: str, country: str, type_code: str = "association") -> SignOn:
    """A sign-on its contact has confirmed, waiting for review."""
    sign_on = sign_on_record(
        statement=statement,
        revision=statement.texts.get(language="en").published_revision,
        data=SignOnInput(
            name=name,
            country=country,
            type=OrganisationType.objects.get(code=type_code),
            website="",
            contact_name="Carla Contact",
            contact_role="Chair",
            contact_email=f"contact@{name.lower().replace(' ', '-')}.example",
        ),
        network_hash="b" * 64,
        language="en",
    )
    return sign_on_confirm(sign_on_id=sign_on.pk, statement_id=statement.pk)


def approved_sign_on(statement: Statement, name: str, country: str, type_code: str = "association") -> None:
    sign_on = awaiting_sign_on(statement, name, country, type_code)
    sign_ons_approve(actor=secretariat(), sign_on_ids=[sign_on.pk])


def sign_body(target: OpenStatement, **overrides: Any) -> dict[str, Any]:
    return {
        "name": "Ana Pérez",
        "email": "ana@example.org",
        "country": "FR",
        "revision": target.revision.pk,
        "started": drawn_form_token(SIGN_FORM_TIMER),
        **overrides,
    }
