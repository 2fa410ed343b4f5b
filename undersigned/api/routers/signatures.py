"""Signing through the API: the form's rules, applied by the same service from the same values."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Router, Status

from undersigned.api.schemas import WRITE_ERRORS, Accepted, SignatureIn
from undersigned.core.exceptions import DomainError
from undersigned.core.network import network_country, network_hash
from undersigned.signatures.services import SignerInput, signature_submit
from undersigned.statements.models import Statement
from undersigned.statements.selectors import PUBLIC_STATUSES

router = Router(tags=["signatures"])


@router.post(
    "/{slug:slug}/signatures",
    response={202: Accepted, **WRITE_ERRORS},
    summary="Sign a statement",
    description=(
        "Stores a pending signature and emails its confirmation link; it counts once confirmed. "
        "The answer is the same whether or not the address has signed before."
    ),
)
def signature_create(request: HttpRequest, slug: str, payload: SignatureIn) -> Status[dict[str, Any]]:
    # Read now, not from the statement cache: a statement closed a moment ago takes no signature.
    statement = Statement.objects.filter(slug=slug, status__in=PUBLIC_STATUSES).first()
    if statement is None:
        raise DomainError("not_found", _("Statement not found."), status=404)
    signature_submit(
        statement=statement,
        revision_id=payload.revision,
        signer=SignerInput(
            name=payload.name,
            email=payload.email,
            country=payload.country,
            city=payload.city,
            affiliation=payload.affiliation,
            name_shown=payload.name_shown,
            wants_updates=payload.wants_updates,
        ),
        started=payload.started,
        honeypot="",  # the API has no hidden field for robots to fill; the timer and limits stay
        proof_of_work_answer=payload.proof_of_work,
        network_hash=network_hash(request),
        network_country=network_country(request),
        language=get_language() or "en",
    )
    message = _("Check your email: your signature counts once you confirm it with the link we sent.")
    return Status(202, {"code": "check_email", "message": message})
