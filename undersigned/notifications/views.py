from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from undersigned.notifications.outbox import outbox_message, outbox_messages


def _development_only() -> None:
    # The outbox holds real addresses; it exists only on a developer's machine.
    if not settings.DEBUG or settings.EMAIL_BACKEND != "undersigned.notifications.outbox.OutboxBackend":
        raise Http404


@require_safe
def outbox(request: HttpRequest) -> HttpResponse:
    _development_only()
    return render(request, "notifications/outbox.html", {"messages_sent": outbox_messages()})


@require_safe
def outbox_detail(request: HttpRequest, message_id: str) -> HttpResponse:
    _development_only()
    message = outbox_message(message_id)
    if message is None:
        raise Http404
    body = message.get_body(preferencelist=("plain",))
    return render(
        request,
        "notifications/outbox_message.html",
        {"message": message, "text": body.get_content() if body else ""},
    )
