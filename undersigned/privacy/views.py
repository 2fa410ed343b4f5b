"""The pages of a person's own data: ask for the link, then see, download, withdraw and erase.

Every page reached through the link is private (never cached, never indexed); the link names the
person only by hashes (``privacy.tokens``).
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from undersigned.core import ratelimit
from undersigned.core.exceptions import DomainError
from undersigned.core.links import TokenExpiredError, TokenInvalidError
from undersigned.core.network import network_hash
from undersigned.core.public_ids import is_public_id
from undersigned.privacy.forms import STARTED_SALT, DataLinkForm, EraseForm
from undersigned.privacy.selectors import WITHDRAWABLE, records_as_data, records_held
from undersigned.privacy.services import (
    data_link_request,
    records_erase,
    sign_on_withdraw_by_contact,
    signature_withdraw_by_signer,
    updates_stop_by_signer,
)
from undersigned.privacy.tokens import LINK_HOURS, PersonRef, read_data_link_token
from undersigned.signatures.addresses import email_hash
from undersigned.signatures.forms import form_started_token

# (limit, window in seconds). An address gets a few links a day; a network, enough for an office.
PER_NETWORK = (20, 3600)
PER_ADDRESS = (3, 3600)
PER_ADDRESS_DAILY = (6, 86400)


def _private(response: HttpResponse) -> HttpResponse:
    add_never_cache_headers(response)
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _request_page(request: HttpRequest, form: DataLinkForm, status: int = 200) -> HttpResponse:
    return render(request, "privacy/request.html", {"form": form, "hours": LINK_HOURS}, status=status)


def _fresh_form(data: QueryDict | None = None) -> DataLinkForm:
    if data is None:
        return DataLinkForm(initial={"started": form_started_token(STARTED_SALT)})
    return DataLinkForm(data)


@require_http_methods(["GET", "HEAD", "POST"])
def request_link(request: HttpRequest) -> HttpResponse:
    """Mails a link to the address's records. The answer is the same whether or not the address
    has signed anything, so the page tells no one who has."""
    if request.method != "POST":
        return _request_page(request, _fresh_form())
    form = _fresh_form(request.POST)
    if form.is_probably_a_bot():
        data = request.POST.copy()
        data["started"], data["website"] = form_started_token(STARTED_SALT), ""
        form = DataLinkForm(data)
        form.is_valid()
        form.add_error(None, _("The form was sent back too quickly. Check your address and send it again."))
        return _request_page(request, form, status=400)
    if not form.is_valid():
        return _request_page(request, form, status=400)
    email = form.cleaned_data["email"]
    network, address = network_hash(request)[:32], email_hash(email)[:32]
    limits = [
        (f"your-data:network:{network}", *PER_NETWORK),
        (f"your-data:address:{address}", *PER_ADDRESS),
        (f"your-data:address-daily:{address}", *PER_ADDRESS_DAILY),
    ]
    if not ratelimit.allow_all(limits):
        return render(request, "privacy/message.html", {"kind": "too_many"}, status=429)
    data_link_request(email=email, language=get_language() or "en")
    return render(request, "privacy/message.html", {"kind": "sent", "hours": LINK_HOURS})


def _ref_or_answer(request: HttpRequest, token: str) -> PersonRef | HttpResponse:
    """The person a link names, or the page that says why the link does not open (4xx)."""
    try:
        return read_data_link_token(token)
    except TokenExpiredError:
        return _private(render(request, "privacy/message.html", {"kind": "expired", "hours": LINK_HOURS}, status=410))
    except TokenInvalidError:
        return _private(render(request, "privacy/message.html", {"kind": "invalid"}, status=404))


def _records_page(
    request: HttpRequest, token: str, ref: PersonRef, *, status: int = 200, **context: object
) -> HttpResponse:
    records = records_held(ref)
    return _private(
        render(
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
    )


@require_safe
def records(request: HttpRequest, token: str) -> HttpResponse:
    ref = _ref_or_answer(request, token)
    if isinstance(ref, HttpResponse):
        return ref
    return _records_page(request, token, ref)


@require_safe
def records_download(request: HttpRequest, token: str) -> HttpResponse:
    ref = _ref_or_answer(request, token)
    if isinstance(ref, HttpResponse):
        return ref
    body = json.dumps(records_as_data(records_held(ref)), ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response.headers["Content-Disposition"] = 'attachment; filename="my-data.json"'
    return _private(response)


def _act_on_receipt(
    request: HttpRequest, token: str, act: Callable[[PersonRef, str], bool], *, done: str, already: str
) -> HttpResponse:
    """Applies ``act`` to one of the link's records, named by the receipt the page posted."""
    ref = _ref_or_answer(request, token)
    if isinstance(ref, HttpResponse):
        return ref
    receipt = request.POST.get("receipt", "")[:40]
    try:
        if not is_public_id(receipt):
            raise DomainError("not_found", _("This record is not among yours, or no longer exists."), status=404)
        changed = act(ref, receipt)
    except DomainError as error:
        return _records_page(request, token, ref, status=error.status, error=error.message)
    return _records_page(request, token, ref, notice=done if changed else already)


@require_POST
def stop_updates(request: HttpRequest, token: str) -> HttpResponse:
    return _act_on_receipt(
        request,
        token,
        lambda ref, receipt: updates_stop_by_signer(ref=ref, receipt=receipt),
        done=_("You will get no more updates about this statement."),
        already=_("Updates were already off."),
    )


@require_POST
def withdraw(request: HttpRequest, token: str) -> HttpResponse:
    by_contact = request.POST.get("kind", "signature") == "sign_on"
    return _act_on_receipt(
        request,
        token,
        lambda ref, receipt: (
            sign_on_withdraw_by_contact(ref=ref, receipt=receipt)
            if by_contact
            else signature_withdraw_by_signer(ref=ref, receipt=receipt)
        ),
        done=_("It is withdrawn."),
        already=_("It was already withdrawn."),
    )


@require_POST
def erase(request: HttpRequest, token: str) -> HttpResponse:
    ref = _ref_or_answer(request, token)
    if isinstance(ref, HttpResponse):
        return ref
    form = EraseForm(request.POST)
    if not form.is_valid():
        return _records_page(request, token, ref, status=400, erase_form=form)
    outcome = records_erase(ref=ref)
    return _records_page(request, token, ref, erased=outcome)
