"""The one place emails are built: ``templates/emails/<name>/{subject.txt,body.txt,body.html}``,
rendered in the recipient's language."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from undersigned.core.languages import language_direction


def build(name: str, to: str, context: dict[str, Any], language: str) -> EmailMultiAlternatives:
    with translation.override(language):
        full_context = {
            **context,
            "language": language,
            "direction": language_direction(language),
            "site_url": settings.SITE_URL,
        }
        subject = " ".join(render_to_string(f"emails/{name}/subject.txt", full_context).split())
        text = render_to_string(f"emails/{name}/body.txt", full_context)
        html = render_to_string(f"emails/{name}/body.html", full_context)
    return message_of(to=to, subject=subject, text=text, html=html)


def message_of(*, to: str, subject: str, text: str, html: str) -> EmailMultiAlternatives:
    """A message from our sender, with a plain text and (when there is one) an HTML version."""
    message = EmailMultiAlternatives(subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[to])
    if html:
        message.attach_alternative(html, "text/html")
    return message
