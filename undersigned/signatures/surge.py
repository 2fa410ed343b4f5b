"""The automatic defence against a bot farm: when sign requests for one statement reach the
limit of the rate-limit rule ``sign.statement`` (``settings.PROOF_OF_WORK_SURGE``) in ten minutes,
signing needs the browser's proof of work for the next hour, and the people who manage the
statement are told by mail. A surge that goes on extends the hour; once requests calm down it
lapses by itself, with no task to run. Counted in the same round trip as the sign form's limits."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from undersigned.core import audit, ratelimit
from undersigned.statements.models import Statement

logger = logging.getLogger(__name__)

SURGE_RULE = "sign.statement"
SURGE_HOLDS = timedelta(hours=1)
# A surge that goes on renews the hour only when less than this is left: one write per half hour.
RENEW_WHEN_LEFT = timedelta(minutes=30)


def surge_observe(*, statement: Statement, requests_in_window: int) -> None:
    """Called with each sign request's count of requests for the statement in its window."""
    if requests_in_window < ratelimit.RULES[SURGE_RULE].limit:
        return
    now = timezone.now()
    until = statement.proof_of_work_surge_until
    if until is not None and until - now > RENEW_WHEN_LEFT:
        return
    with transaction.atomic():
        # Only the request that finds it off switches it on (and tells the editors); others renew.
        switched_on = (
            Statement.objects.filter(pk=statement.pk)
            .filter(Q(proof_of_work_surge_until__isnull=True) | Q(proof_of_work_surge_until__lte=now))
            .update(proof_of_work_surge_until=now + SURGE_HOLDS)
        )
        if not switched_on:
            Statement.objects.filter(pk=statement.pk).update(proof_of_work_surge_until=now + SURGE_HOLDS)
            statement.proof_of_work_surge_until = now + SURGE_HOLDS
            return
        statement.proof_of_work_surge_until = now + SURGE_HOLDS
        audit.record(
            actor=None,
            action="statement.proof_of_work_surge",
            subject=statement,
            detail={"requests": requests_in_window, "until": (now + SURGE_HOLDS).isoformat()},
        )
        _tell_managers(statement, requests_in_window)
    from undersigned.statements.selectors import forget_statement

    forget_statement(statement.slug)
    logger.warning("proof of work switched on for statement %s after a surge of sign requests", statement.pk)


def _tell_managers(statement: Statement, requests_in_window: int) -> None:
    from undersigned.notifications.services import mail_enqueue
    from undersigned.permissions.roles import Capability, users_with
    from undersigned.statements.selectors import published_texts

    texts = published_texts(statement)
    context = {
        "title": texts[0].revision.title if texts else statement.slug,
        "requests": requests_in_window,
        "threshold": ratelimit.RULES[SURGE_RULE].limit,
        "staff_url": settings.SITE_URL + reverse("staff:statement", args=[statement.slug]),
    }
    for user in users_with(Capability.MANAGE, statement):
        mail_enqueue(name="proof_of_work_surge", to=user.email, language=settings.LANGUAGE_CODE, context=context)
