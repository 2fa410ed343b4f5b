"""Fixtures and helpers for the signature tests: a published statement that takes signatures, of
an issuing body with a trustee whose private identity the test keeps. The site and the issuing body
are the root conftest's ``site`` and ``libraries``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from undersigned.commissions.models import Commission
from undersigned.commissions.services import CommissionTextInput, commission_create
from undersigned.federation.selectors import LocalisedText
from undersigned.federation.services import federation_update
from undersigned.sealing.models import Trustee
from undersigned.signatures.addresses import email_hash
from undersigned.signatures.models import Signature
from undersigned.signatures.services import SIGN_FORM_TIMER, SignerInput, signature_confirm, signature_record
from undersigned.statements.models import Revision, Statement
from undersigned.statements.tests.builders import published_statement
from undersigned.testing import drawn_form_token, trustee_for

SLUG = "library-opening-hours"


@dataclass(frozen=True)
class OpenStatement:
    """A published statement that takes signatures, and the key that opens its signers' contact data."""

    statement: Statement
    revision: Revision
    commission: Commission
    trustee: Trustee
    identity: str

    @property
    def sign_url(self) -> str:
        return f"/statements/{self.statement.slug}/sign/"

    @property
    def list_url(self) -> str:
        return f"/statements/{self.statement.slug}/signatures/"


def build_site() -> Commission:
    """The shared ``site`` and ``libraries`` fixtures' data, for a test that runs in another process."""
    federation_update(
        actor=None,
        default_language="en",
        offered_languages=["en", "fr"],
        contact_email="secretariat@example.org",
        texts={"en": LocalisedText(name="Example Federation", description="A neutral sample network.")},
    )
    trustee_for(None)
    commission = commission_create(
        actor=None,
        slug="public-libraries",
        texts={"en": CommissionTextInput(name="Commission on Public Libraries", mandate="")},
    )
    trustee_for(commission)
    return commission


def build_open_statement(commission: Commission, slug: str = SLUG) -> OpenStatement:
    """Adds a trustee whose identity the test keeps to ``commission`` and publishes a statement of it
    in English, through the services."""
    trustee, identity = trustee_for(commission, name="Tom Trustee")
    statement = published_statement(commission, slug=slug, translations=())
    revision = statement.texts.get(language="en").published_revision
    assert revision is not None
    return OpenStatement(
        statement=statement, revision=revision, commission=commission, trustee=trustee, identity=identity
    )


@pytest.fixture
def open_statement(libraries) -> OpenStatement:
    """``libraries`` (from the root conftest) with a statement that takes signatures."""
    return build_open_statement(libraries)


def started_token(seconds_ago: float | None = None) -> str:
    """The sign form's ``started`` field, as if the page had been opened ``seconds_ago`` (by
    default a while ago, by a visitor of its own: ``drawn_form_token``)."""
    return drawn_form_token(SIGN_FORM_TIMER, seconds_ago)


def form_data(revision: Revision, **fields: Any) -> dict[str, Any]:
    """What a person's browser posts to the sign form, without JavaScript."""
    return {
        "name": "Ada Lovelace",
        "email": "ada@example.org",
        "country": "GB",
        "city": "",
        "affiliation": "",
        "name_shown": Signature.NameShown.FULL,
        "revision": revision.pk,
        "started": started_token(),
        "website": "",
        **fields,
    }


def signature_of(statement: Statement, email: str) -> Signature:
    return Signature.objects.get(statement=statement, email_hash=email_hash(email))


def sign(target: OpenStatement, *, email: str, confirm: bool = False, **signer: Any) -> Signature:
    """Signs through the service (as the sign view does), and confirms when asked."""
    signature_record(
        statement=target.statement,
        revision=target.revision,
        signer=SignerInput(
            **{"name": "Ada Lovelace", "country": "GB", **signer},
            email=email,
        ),
        network_hash=email_hash(email),  # one network per address, as in the field
        language="en",
        proof_of_work=False,
    )
    signature = signature_of(target.statement, email)
    if confirm:
        signature = signature_confirm(signature_id=signature.pk, statement_id=target.statement.pk)
    return signature
