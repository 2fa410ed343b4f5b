from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from undersigned.deliveries.models import Response
from undersigned.deliveries.selectors import text_languages
from undersigned.signatures.update_command import send_update_from_command
from undersigned.statements.presentation import long_date


class Command(BaseCommand):
    help = (
        "Mail a recorded response to the statement's confirmed signers who asked for updates, as an "
        "update (see send_update): their sealed addresses are opened in memory with a trustee's identity "
        "and each message is handed straight to the mail server. Running it again sends only to those "
        "who did not get it."
    )
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--identity", required=True, help="a trustee's private key file; '-' reads standard input")
        parser.add_argument("--statement", required=True, help="the statement's short name")
        parser.add_argument("--response", required=True, type=int, help="the response's number (on the staff page)")
        parser.add_argument("--dry-run", action="store_true", help="count the recipients; open and send nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        response = (
            Response.objects.select_related("statement")
            .filter(pk=options["response"], statement__slug=options["statement"])
            .first()
        )
        if response is None:
            raise CommandError(f"no response {options['response']} of statement {options['statement']!r}")
        statement = response.statement
        titles = text_languages(statement.pk)
        context = {
            "who": response.who,
            "statement_title": titles.get(response.language) or titles.get(statement.original_language, ""),
            "responded_on": long_date(response.responded_on, response.language),
            "text": response.text,
            "link": response.link,
            "statement_url": settings.SITE_URL + reverse("statements:read", args=[statement.slug]),
        }
        # In the language of the answer: the update is one message for every signer.
        with translation.override(response.language):
            subject = " ".join(render_to_string("deliveries/response_update/subject.txt", context).split())
            body = render_to_string("deliveries/response_update/body.txt", context)
        outcome = send_update_from_command(
            self, statement=statement, subject=subject[:200], body=body, options=options, what="response"
        )
        if outcome is not None and outcome.update is not None and response.update_id != outcome.update.pk:
            Response.objects.filter(pk=response.pk).update(update=outcome.update)
