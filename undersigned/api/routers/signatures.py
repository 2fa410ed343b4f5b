"""Signing and signing on through the API: the forms' rules, applied by the same services (and,
for sign-ons, the same form's field rules) from the same values."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Router, Status

from undersigned.api.routers.statements import router as statements_router
from undersigned.api.schemas import WRITE_ERRORS, Accepted, SignatureIn, SignOnIn
from undersigned.core.exceptions import DomainError
from undersigned.core.network import network_country, network_hash
from undersigned.organisations.forms import SignOnForm
from undersigned.organisations.models import OrganisationType
from undersigned.organisations.services.sign_ons import sign_on_refusal, sign_on_submit
from undersigned.signatures.services import SignerInput, signature_submit
from undersigned.statements.models import Statement
from undersigned.statements.selectors import PUBLIC_STATUSES

router = Router(tags=["signatures"])


def _statement_or_404(slug: str) -> Statement:
    # Read now, not from the statement cache: a statement closed a moment ago takes no signature.
    statement = Statement.objects.filter(slug=slug, status__in=PUBLIC_STATUSES).first()
    if statement is None:
        raise DomainError("not_found", _("Statement not found."), status=404)
    return statement


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
    statement = _statement_or_404(slug)
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


# On the reads' router: ninja answers one address from one router, and the reads' router already
# holds GET /{slug}/sign-ons (on this one, the POST would be answered 405 by the GET's view).
@statements_router.post(
    "/{slug:slug}/sign-ons",
    response={202: Accepted, **WRITE_ERRORS},
    summary="Sign on to a statement for an organisation",
    description=(
        "Stores a pending sign-on and emails its confirmation link to the contact; once confirmed, "
        "the issuing body's editors review it, and it counts once approved. A logo can be added "
        "through the sign-on page only. An organisation that has signed on already (or whose "
        "sign-on is being confirmed or reviewed) is answered 409 `already_signed_on`."
    ),
    tags=["sign-ons"],
)
def sign_on_create(request: HttpRequest, slug: str, payload: SignOnIn) -> Status[dict[str, Any]]:
    statement = _statement_or_404(slug)
    # The sign-on page's own form checks the fields, so both ways in keep the same rules; the API
    # names a type by its code where the page's form posts its id.
    kind = OrganisationType.objects.filter(code=payload.type).values_list("pk", flat=True).first()
    form = SignOnForm(
        {
            **payload.dict(exclude={"type", "consent"}),
            "type": "" if kind is None else str(kind),
            "consent": "on" if payload.consent else "",
            "fax": "",  # no hidden field for robots here; the timer and the limits stay
        }
    )
    if not form.is_valid():
        refusal = sign_on_refusal(statement=statement, started=payload.started, honeypot="")
        if refusal is not None:
            raise refusal
        # As signing answers: ``field`` names the first field wrong; ``fields`` lists them all.
        fields = [name for name in form.fields if name in form.errors]
        message = form.errors[fields[0]][0]
        raise DomainError("invalid_field", str(message), detail={"field": fields[0], "fields": fields})
    data = form.cleaned_data
    sign_on_submit(
        statement=statement,
        revision_id=data["revision"],
        data=form.sign_on_input(),
        logo_upload=None,
        started=data["started"],
        honeypot="",
        network_hash=network_hash(request),
        language=get_language() or "en",
    )
    message = _(
        "Check your email: the sign-on counts once its contact confirms it and the statement's editors approve it."
    )
    return Status(202, {"code": "check_email", "message": message})
