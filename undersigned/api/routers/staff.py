"""The staff endpoints, under /api/v1/staff/, for a member of staff's scripts: each request carries
one of their API tokens (``Authorization: Bearer <token>``) and acts as them.

Each endpoint asks the token for a scope, then the owner's roles through the same access and
permission functions as the staff pages, and writes through the same services: a token never does
more than its owner may do on the pages at that moment. Every use of a write scope (moderate,
deliver) is audited with the token and the action, whether it was done or refused.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from undersigned.accounts.models import User
from undersigned.api.auth import StaffToken, token_of
from undersigned.api.models import ApiToken, Scope
from undersigned.api.schemas import Error
from undersigned.api.services import token_act, token_require_scope
from undersigned.api.staff_schemas import (
    DeliveryRecord,
    Reason,
    RecipientOut,
    ResponseIn,
    ResponseOut,
    SignatureDecision,
    SignOnDecision,
    SignOnQueue,
    StaffStatement,
    StaffStatementList,
)
from undersigned.core.exceptions import DomainError
from undersigned.core.public_ids import is_public_id
from undersigned.deliveries.models import DeliveryRecipient, Response
from undersigned.deliveries.selectors import active_targets, deliveries_for_staff, responses_of
from undersigned.deliveries.services import ResponseInput, recipient_retry_now, response_record
from undersigned.organisations.models import SignOn
from undersigned.organisations.selectors import review_queue, reviewable_sign_ons, sign_on_status_counts
from undersigned.organisations.services.sign_ons import sign_ons_approve, sign_ons_reject
from undersigned.permissions.access import access_statement
from undersigned.permissions.roles import Capability, can, moderates_anything
from undersigned.signatures.models import Signature
from undersigned.signatures.selectors import status_counts
from undersigned.signatures.services import signatures_invalidate, signatures_restore
from undersigned.signatures.tallies import tally_for_statement
from undersigned.statements.models import Statement
from undersigned.statements.selectors import statement_list_for_staff

router = Router(tags=["staff"], auth=StaffToken())

READ_ERRORS: dict[int, Any] = {401: Error, 403: Error, 404: Error, 422: Error, 429: Error}
WRITE_ERRORS: dict[int, Any] = {400: Error, 409: Error, **READ_ERRORS}


def _private(response: HttpResponse) -> None:
    # Staff data: no cache in between may keep it (the API's public reads are cached for seconds).
    response["Cache-Control"] = "private, no-store"


def _not_found() -> DomainError:
    return DomainError("not_found", _("Not found."), status=404)


def _forbidden() -> DomainError:
    return DomainError("forbidden", _("Your role does not allow this on this statement."), status=403)


def _statement(actor: User, slug: str, capability: Capability) -> Statement:
    """The staff pages' ``access_statement``, answered as the API answers: 404 for a statement the
    owner may not even see, 403 for one they see without ``capability``."""
    try:
        statement = access_statement(actor=actor, slug=slug, capability=capability)
    except Http404:
        raise _not_found() from None
    except PermissionDenied:
        raise _forbidden() from None
    # An assigned translator may know the statement exists, but its staff data is not theirs.
    if not can(actor, capability, statement):
        raise _forbidden()
    return statement


def _title(statement: Statement) -> str:
    return next((text.title for text in statement.texts.all() if text.language == statement.original_language), "")


def _statement_rows(actor: User, statements: list[Statement]) -> list[dict[str, Any]]:
    ids = [statement.pk for statement in statements]
    signatures, sign_ons = status_counts(statement_ids=ids), sign_on_status_counts(statement_ids=ids)
    return [
        {
            "slug": statement.slug,
            "issuing_body": statement.commission.slug if statement.commission else "federation",
            "title": _title(statement),
            "original_language": statement.original_language,
            "status": statement.status,
            "published_at": statement.published_at,
            "closes_at": statement.closes_at,
            "capabilities": [str(capability) for capability in Capability if can(actor, capability, statement)],
            "signatures": signatures[statement.pk],
            "sign_ons": sign_ons[statement.pk],
        }
        for statement in statements
    ]


# --- read ---------------------------------------------------------------------------------------


@router.get(
    "/statements",
    response={200: StaffStatementList, **READ_ERRORS},
    summary="Your commissions' statements with their staff counts",
    description="Scope `read`. The statements your roles let you view, newest first, with their signatures "
    "and sign-ons by status (the public count is `signatures.confirmed`).",
)
def staff_statement_list(request: HttpRequest, response: HttpResponse) -> dict[str, Any]:
    token = token_of(request)
    token_require_scope(token, Scope.READ)
    actor = token.user
    statements = [s for s in statement_list_for_staff(actor=actor) if can(actor, Capability.VIEW, s)]
    _private(response)
    return {"items": _statement_rows(actor, statements)}


@router.get(
    "/statements/{slug:slug}",
    response={200: StaffStatement, **READ_ERRORS},
    summary="One of your statements with its staff counts",
    description="Scope `read`.",
)
def staff_statement_detail(request: HttpRequest, response: HttpResponse, slug: str) -> dict[str, Any]:
    token = token_of(request)
    token_require_scope(token, Scope.READ)
    statement = _statement(token.user, slug, Capability.VIEW)
    statement = Statement.objects.select_related("commission").prefetch_related("texts").get(pk=statement.pk)
    _private(response)
    return _statement_rows(token.user, [statement])[0]


class QueueFilters(Schema):
    status: str = Field(
        SignOn.Status.AWAITING_MODERATION.value,
        pattern="^(pending|awaiting|approved|rejected)$",
        description="Which tab of the review queue: `awaiting` (the default), `approved`, `rejected`, `pending`.",
    )
    statement: str = Field("", max_length=100, pattern="^[-a-zA-Z0-9_]*$", description="Only this statement's.")


@router.get(
    "/sign-ons",
    response={200: SignOnQueue, **READ_ERRORS},
    summary="The sign-on review queue",
    description="Scope `read`, and a role that moderates (editor or moderator of a commission, or the "
    "secretariat). The sign-ons of the statements you moderate, oldest first, as on the review page.",
)
def staff_sign_on_queue(request: HttpRequest, response: HttpResponse, filters: Query[QueueFilters]) -> dict[str, Any]:
    token = token_of(request)
    token_require_scope(token, Scope.READ)
    actor = token.user
    if not moderates_anything(actor):
        raise DomainError("forbidden", _("Your roles do not include reviewing sign-ons."), status=403)
    statement_id = None
    if filters.statement:
        statement = Statement.objects.filter(slug=filters.statement).first()
        if statement is None or not can(actor, Capability.MODERATE, statement):
            raise _not_found()
        statement_id = statement.pk
    entries = review_queue(actor, status=filters.status, statement_id=statement_id)
    _private(response)
    return {
        "items": [
            {
                "public_id": entry.sign_on.public_id,
                "statement": entry.sign_on.statement.slug,
                "status": entry.sign_on.status,
                "name": entry.sign_on.name,
                "country": str(entry.sign_on.country),
                "type": entry.type_label,
                "website": entry.sign_on.website,
                "via_member_sign_in": entry.sign_on.via_member_sign_in,
                "created_at": entry.sign_on.created_at,
                "confirmed_at": entry.sign_on.confirmed_at,
                "decided_at": entry.sign_on.decided_at,
                "flags": entry.flags,
            }
            for entry in entries
        ]
    }


# --- moderate -----------------------------------------------------------------------------------


def _audited_id(public_id: str) -> str:
    # What was asked for, if it could be an id: the audit's JSON takes no NUL on PostgreSQL.
    return public_id if is_public_id(public_id) else "(not an id)"


def _reviewable(actor: User, public_id: str) -> SignOn:
    sign_on = reviewable_sign_ons(actor).filter(public_id=public_id).first() if is_public_id(public_id) else None
    if sign_on is None:
        raise _not_found()
    return sign_on


def _decide_sign_on(token: ApiToken, public_id: str, *, approve: bool, reason: str) -> dict[str, Any]:
    actor = token.user

    def change() -> dict[str, Any]:
        sign_on = _reviewable(actor, public_id)
        if approve:
            outcome = sign_ons_approve(actor=actor, sign_on_ids=[sign_on.pk])
        else:
            outcome = sign_ons_reject(actor=actor, sign_on_ids=[sign_on.pk], reason=reason)
        if not outcome.changed:
            raise DomainError(
                "not_awaiting", _("This sign-on is not waiting for review; it was left as it was."), status=409
            )
        sign_on.refresh_from_db(fields=["status"])
        return {"public_id": sign_on.public_id, "status": sign_on.status}

    return token_act(
        token=token,
        scope=Scope.MODERATE,
        action="sign_on.approve" if approve else "sign_on.reject",
        detail={"sign_on": _audited_id(public_id)},
        change=change,
    )


@router.post(
    "/sign-ons/{public_id}/approve",
    response={200: SignOnDecision, **WRITE_ERRORS},
    summary="Approve a sign-on waiting for review",
    description="Scope `moderate`, and a role that moderates its statement. 409 if it is not waiting for review.",
)
def staff_sign_on_approve(request: HttpRequest, public_id: str) -> dict[str, Any]:
    return _decide_sign_on(token_of(request), public_id, approve=True, reason="")


@router.post(
    "/sign-ons/{public_id}/reject",
    response={200: SignOnDecision, **WRITE_ERRORS},
    summary="Reject a sign-on waiting for review",
    description="Scope `moderate`. The reason (at most 500 characters) is mailed to the organisation's contact.",
)
def staff_sign_on_reject(request: HttpRequest, public_id: str, payload: Reason) -> dict[str, Any]:
    return _decide_sign_on(token_of(request), public_id, approve=False, reason=payload.reason)


def _moderate_signature(token: ApiToken, slug: str, public_id: str, *, invalidate: bool, reason: str) -> dict[str, Any]:
    actor = token.user
    touched: list[Statement] = []

    def change() -> dict[str, Any]:
        statement = _statement(actor, slug, Capability.MODERATE)
        signature = (
            Signature.objects.filter(statement=statement, public_id=public_id).only("pk", "public_id").first()
            if is_public_id(public_id)
            else None
        )
        if signature is None:
            raise _not_found()
        service = signatures_invalidate if invalidate else signatures_restore
        outcome = service(actor=actor, statement=statement, signature_ids=[signature.pk], reason=reason)
        if not outcome.changed:
            raise DomainError(
                "not_changed",
                _("This signature cannot be invalidated now.")
                if invalidate
                else _("This signature cannot be restored now."),
                status=409,
            )
        touched.append(statement)
        signature.refresh_from_db(fields=["status"])
        return {"public_id": signature.public_id, "status": signature.status}

    result = token_act(
        token=token,
        scope=Scope.MODERATE,
        action="signature.invalidate" if invalidate else "signature.restore",
        detail={"statement": slug, "signature": _audited_id(public_id)},
        change=change,
    )
    for statement in touched:
        tally_for_statement(statement.pk, fresh=True)  # the statement page shows the change at once
    return result


@router.post(
    "/statements/{slug:slug}/signatures/{public_id}/invalidate",
    response={200: SignatureDecision, **WRITE_ERRORS},
    summary="Invalidate a signature",
    description="Scope `moderate`. A confirmed or held signature, by its public id (as on its receipt and in the "
    "ledger); the reason (at most 200 characters) is published on the transparency page.",
)
def staff_signature_invalidate(request: HttpRequest, slug: str, public_id: str, payload: Reason) -> dict[str, Any]:
    return _moderate_signature(token_of(request), slug, public_id, invalidate=True, reason=payload.reason)


@router.post(
    "/statements/{slug:slug}/signatures/{public_id}/restore",
    response={200: SignatureDecision, **WRITE_ERRORS},
    summary="Restore an invalidated signature",
    description="Scope `moderate`. An invalidated or held signature counts again; the reason is published.",
)
def staff_signature_restore(request: HttpRequest, slug: str, public_id: str, payload: Reason) -> dict[str, Any]:
    return _moderate_signature(token_of(request), slug, public_id, invalidate=False, reason=payload.reason)


# --- deliver ------------------------------------------------------------------------------------


def _recipient(recipient: DeliveryRecipient) -> dict[str, Any]:
    return {
        "id": recipient.pk,
        "target": recipient.target_id,
        "name": recipient.name,
        "role": recipient.role,
        "organisation": recipient.organisation,
        "language": recipient.language,
        "status": recipient.status,
        "attempts": recipient.attempts,
        "last_error": recipient.last_error,
        "sent_at": recipient.sent_at,
    }


def _response(response: Response) -> dict[str, Any]:
    return {
        "id": response.pk,
        "target": response.target_id,
        "who": response.who,
        "responded_on": response.responded_on,
        "text": response.text,
        "link": response.link,
        "language": response.language,
        "created_at": response.created_at,
    }


@router.get(
    "/statements/{slug:slug}/deliveries",
    response={200: DeliveryRecord, **READ_ERRORS},
    summary="A statement's targets, deliveries and responses",
    description="Scope `deliver`, and a role that sees deliveries (editor, moderator, viewer). The targets' "
    "addresses are not part of it.",
)
def staff_delivery_record(request: HttpRequest, response: HttpResponse, slug: str) -> dict[str, Any]:
    token = token_of(request)
    token_require_scope(token, Scope.DELIVER)
    statement = _statement(token.user, slug, Capability.SEE_DELIVERIES)
    _private(response)
    return {
        "statement": statement.slug,
        "targets": [
            {
                "id": target.pk,
                "name": target.name,
                "role": target.role,
                "organisation": target.organisation,
                "language": target.language,
                "created_at": target.created_at,
            }
            for target in active_targets(statement.pk).order_by("name", "pk")
        ],
        "deliveries": [
            {
                "public_id": delivery.public_id,
                "number": delivery.number,
                "language": delivery.language,
                "signatures": delivery.signatures,
                "organisations": delivery.organisations,
                "mention_actions": delivery.mention_actions,
                "actions": delivery.actions,
                "action_countries": delivery.action_countries,
                "created_at": delivery.created_at,
                "recipients": [_recipient(recipient) for recipient in delivery.recipients.all()],
            }
            for delivery in deliveries_for_staff(statement.pk).order_by("-number")
        ],
        "responses": [_response(item) for item in responses_of(statement.pk).order_by("-responded_on", "-pk")],
    }


@router.post(
    "/statements/{slug:slug}/responses",
    response={201: ResponseOut, **WRITE_ERRORS},
    summary="Record a target's response",
    description="Scope `deliver`, and a role that delivers (editor). The response is shown on the statement page.",
)
def staff_response_record(request: HttpRequest, slug: str, payload: ResponseIn) -> Status[dict[str, Any]]:
    token = token_of(request)
    actor = token.user

    def change() -> Response:
        statement = _statement(actor, slug, Capability.DELIVER)
        return response_record(
            actor=actor,
            statement=statement,
            response=ResponseInput(
                target_id=payload.target,
                who=payload.who,
                responded_on=payload.responded_on,
                text=payload.text,
                link=payload.link,
                language=payload.language,
            ),
        )

    created = token_act(
        token=token, scope=Scope.DELIVER, action="response.record", detail={"statement": slug}, change=change
    )
    return Status(201, _response(created))


@router.post(
    "/statements/{slug:slug}/recipients/{recipient_id}/retry",
    response={200: RecipientOut, **WRITE_ERRORS},
    summary="Send a failed delivery mail again now",
    description="Scope `deliver`, and a role that delivers. Only a recipient whose mail failed or was given up.",
)
def staff_recipient_retry(request: HttpRequest, slug: str, recipient_id: int) -> dict[str, Any]:
    token = token_of(request)
    actor = token.user

    def change() -> dict[str, Any]:
        statement = _statement(actor, slug, Capability.DELIVER)
        recipient = (
            DeliveryRecipient.objects.filter(pk=recipient_id, delivery__statement=statement)
            .select_related("target", "delivery")
            .first()
            if 0 < recipient_id <= 2**31 - 1
            else None
        )
        if recipient is None:
            raise _not_found()
        recipient.delivery.statement = statement
        try:
            recipient_retry_now(actor=actor, recipient=recipient)
        except DomainError as error:
            if error.code in {"already_sent", "not_failed"}:
                error.status = 409
            raise
        recipient.refresh_from_db()
        return _recipient(recipient)

    return token_act(
        token=token,
        scope=Scope.DELIVER,
        action="recipient.retry",
        detail={"statement": slug, "recipient": recipient_id},
        change=change,
    )
