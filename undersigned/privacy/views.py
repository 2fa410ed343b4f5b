"""The pages of a person's own data: ask for the link, then see, download, withdraw and erase.

Every page reached through the link is private (never cached, never indexed); the link names the
person only by hashes (``privacy.tokens``).
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from undersigned.actions.tokens import ActionRef, withdraw_action_token
from undersigned.core.bot_check import TOO_FAST
from undersigned.core.exceptions import DomainError
from undersigned.core.link_pages import personal_link
from undersigned.core.network import network_hash
from undersigned.core.public_pages import cross_origin_protected, shared_cacheable
from undersigned.ledger.log_selectors import logged_events_of, newest_checkpoint
from undersigned.ledger.views import receipt_response
from undersigned.privacy.forms import DataLinkForm, EraseForm
from undersigned.privacy.selectors import WITHDRAWABLE, records_as_data, records_held
from undersigned.privacy.services import (
    DATA_LINK_FORM_TIMER,
    data_link_refusal,
    data_link_request,
    records_erase,
    sign_on_withdraw_by_contact,
    signature_withdraw_by_signer,
    updates_stop_by_signer,
)
from undersigned.privacy.tokens import DATA_LINK, LINK_HOURS, PersonRef


def _request_page(request: HttpRequest, form: DataLinkForm, status: int = 200) -> HttpResponse:
    return render(request, "privacy/request.html", {"form": form, "hours": LINK_HOURS}, status=status)


def _fresh_form(data: QueryDict | None = None) -> DataLinkForm:
    if data is None:
        return DataLinkForm(initial={"started": DATA_LINK_FORM_TIMER.started_token()})
    return DataLinkForm(data)


@cross_origin_protected
@shared_cacheable
@require_http_methods(["GET", "HEAD", "POST"])
def request_link(request: HttpRequest) -> HttpResponse:
    """Mails a link to the address's records. The answer is the same whether or not the address
    has signed anything, so the page tells no one who has."""
    if request.method != "POST":
        return _request_page(request, _fresh_form())
    form = _fresh_form(request.POST)
    if not form.is_valid():
        refusal = data_link_refusal(started=request.POST.get("started", ""), honeypot=request.POST.get("website", ""))
        if refusal is None:
            return _request_page(request, form, status=400)
        return _data_link_refused(request, refusal)
    try:
        data_link_request(
            email=form.cleaned_data["email"],
            started=form.cleaned_data["started"],
            honeypot=form.cleaned_data["website"],
            network_hash=network_hash(request),
            language=get_language() or "en",
        )
    except DomainError as error:
        return _data_link_refused(request, error, form)
    return render(request, "privacy/message.html", {"kind": "sent", "hours": LINK_HOURS})


def _data_link_refused(request: HttpRequest, error: DomainError, form: DataLinkForm | None = None) -> HttpResponse:
    if error.code == "too_many":
        return render(request, "privacy/message.html", {"kind": "too_many"}, status=error.status)
    if error.code == TOO_FAST or form is None:
        form = DataLinkForm(DATA_LINK_FORM_TIMER.redrawn(request.POST, honeypot="website"))
        form.is_valid()
    form.add_error(None, error.message)
    return _request_page(request, form, status=error.status)


def _records_page(
    request: HttpRequest, token: str, ref: PersonRef, *, status: int = 200, **context: object
) -> HttpResponse:
    records = records_held(ref)
    # Each event the public log holds of a signature or sign-on has a receipt to download.
    published = newest_checkpoint()
    up_to = published.size if published is not None else 0
    for signature in records.signatures:
        signature.logged_events = logged_events_of(signature.statement_id, signature.public_id, up_to=up_to)  # type: ignore[attr-defined]
    for sign_on in records.sign_ons:
        sign_on.logged_events = logged_events_of(sign_on.statement_id, sign_on.public_id, up_to=up_to)  # type: ignore[attr-defined]
    for action in records.actions:
        # The withdrawal link the contact's mails carry: the data link's holder is that contact.
        action_ref = ActionRef(action_id=action.pk, statement_id=action.statement_id)
        action.withdraw_path = reverse("actions:withdraw", args=[withdraw_action_token(action_ref)])  # type: ignore[attr-defined]
    return render(
        request,
        "privacy/records.html",
        {
            "token": token,
            "records": records,
            "withdrawable": WITHDRAWABLE,
            "erase_form": context.pop("erase_form", None) or EraseForm(),
            **context,
        },
        status=status,
    )


@require_safe
@personal_link(DATA_LINK)
def records(request: HttpRequest, ref: PersonRef, token: str) -> HttpResponse:
    return _records_page(request, token, ref)


@require_safe
@personal_link(DATA_LINK)
def records_download(request: HttpRequest, ref: PersonRef, token: str) -> HttpResponse:
    body = json.dumps(records_as_data(records_held(ref)), ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response.headers["Content-Disposition"] = 'attachment; filename="my-data.json"'
    return response


@require_safe
@personal_link(DATA_LINK)
def receipt(request: HttpRequest, ref: PersonRef, token: str, kind: str, public_id: str) -> HttpResponse:
    """The receipt from the log of one of the link's signatures or sign-ons."""
    held = records_held(ref)
    records = held.signatures if kind == "signature" else held.sign_ons if kind == "sign-on" else []
    record = next((item for item in records if item.public_id == public_id), None)
    if record is None:
        raise Http404
    return receipt_response(request, statement_id=record.statement_id, slug=record.statement.slug, public_id=public_id)


def _act_on_receipt(
    request: HttpRequest,
    token: str,
    ref: PersonRef,
    act: Callable[[PersonRef, str], bool],
    *,
    done: str,
    already: str,
) -> HttpResponse:
    """Applies ``act`` to one of the link's records, named by the receipt the page posted."""
    receipt = request.POST.get("receipt", "")[:40]
    try:
        changed = act(ref, receipt)
    except DomainError as error:
        return _records_page(request, token, ref, status=error.status, error=error.message)
    return _records_page(request, token, ref, notice=done if changed else already)


@require_POST
@personal_link(DATA_LINK)
def stop_updates(request: HttpRequest, ref: PersonRef, token: str) -> HttpResponse:
    return _act_on_receipt(
        request,
        token,
        ref,
        lambda ref, receipt: updates_stop_by_signer(ref=ref, receipt=receipt),
        done=_("You will get no more updates about this statement."),
        already=_("Updates were already off."),
    )


@require_POST
@personal_link(DATA_LINK)
def withdraw(request: HttpRequest, ref: PersonRef, token: str) -> HttpResponse:
    """The button on the page asks first (a page of its own, without JavaScript); only the answer
    to that question, ``confirmed=yes``, withdraws."""
    by_contact = request.POST.get("kind", "signature") == "sign_on"
    if request.POST.get("confirmed") != "yes":
        receipt = request.POST.get("receipt", "")[:40]
        held = records_held(ref)
        record = next(
            (item for item in (held.sign_ons if by_contact else held.signatures) if item.public_id == receipt), None
        )
        if record is None:
            return _records_page(
                request, token, ref, status=404, error=_("This record is not among yours, or no longer exists.")
            )
        return render(
            request,
            "privacy/withdraw_confirm.html",
            {"token": token, "record": record, "kind": "sign_on" if by_contact else "signature"},
        )
    return _act_on_receipt(
        request,
        token,
        ref,
        lambda ref, receipt: (
            sign_on_withdraw_by_contact(ref=ref, receipt=receipt)
            if by_contact
            else signature_withdraw_by_signer(ref=ref, receipt=receipt)
        ),
        done=_("It is withdrawn."),
        already=_("It was already withdrawn."),
    )


@require_POST
@personal_link(DATA_LINK)
def erase(request: HttpRequest, ref: PersonRef, token: str) -> HttpResponse:
    form = EraseForm(request.POST)
    if not form.is_valid():
        return _records_page(request, token, ref, status=400, erase_form=form)
    outcome = records_erase(ref=ref)
    return _records_page(request, token, ref, erased=outcome)
