from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from undersigned.notifications.outbox import outbox_message, outbox_messages


def _development_only(request: HttpRequest) -> None:
    """The outbox holds real addresses and staff password-reset links: it exists only on a
    developer's machine, for a browser on that machine. A demo reachable on a network would
    otherwise hand any staff account to whoever asks a reset for it and reads the link here."""
    if not settings.DEBUG or settings.EMAIL_BACKEND != "undersigned.notifications.outbox.OutboxBackend":
        raise Http404
    if not _from_this_machine(request):
        raise Http404


def _from_this_machine(request: HttpRequest) -> bool:
    # The peer itself, not X-Forwarded-For: a proxy on this machine forwards other machines' visits.
    if "X-Forwarded-For" in request.headers or "Forwarded" in request.headers:
        return False
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


@require_safe
def outbox(request: HttpRequest) -> HttpResponse:
    _development_only(request)
    return render(request, "notifications/outbox.html", {"messages_sent": outbox_messages()})


@require_safe
def outbox_detail(request: HttpRequest, message_id: str) -> HttpResponse:
    _development_only(request)
    message = outbox_message(message_id)
    if message is None:
        raise Http404
    body = message.get_body(preferencelist=("plain",))
    return render(
        request,
        "notifications/outbox_message.html",
        {"message": message, "text": body.get_content() if body else ""},
    )
