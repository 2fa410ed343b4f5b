from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from undersigned.accounts.models import User
from undersigned.commissions.models import Commission, CommissionText
from undersigned.core.exceptions import DomainError
from undersigned.core.languages import language_direction


@dataclass(frozen=True)
class CommissionSummary:
    slug: str
    name: str
    mandate: str
    language: str
    direction: str


def _pick_text(commission: Commission, language: str, default_language: str) -> CommissionText | None:
    texts = {text.language: text for text in commission.texts.all()}
    for candidate in (language, default_language, *sorted(texts)):
        if candidate in texts:
            return texts[candidate]
    return None


def commission_list_localised(
    *, language: str, default_language: str, member: User | None = None
) -> list[CommissionSummary]:
    """Commissions with their text in ``language``, falling back to the default, then any.

    With ``member``, only the commissions that user works in (all of them for the secretariat).
    Two queries whatever the number of commissions.
    """
    commissions = Commission.objects.prefetch_related("texts")
    if member is not None and not member.is_secretariat:
        commissions = commissions.filter(memberships__user=member).distinct()
    summaries = []
    for commission in commissions:
        text = _pick_text(commission, language, default_language)
        if text is None:
            continue
        summaries.append(
            CommissionSummary(
                slug=commission.slug,
                name=text.name,
                mandate=text.mandate,
                language=text.language,
                direction=language_direction(text.language),
            )
        )
    return sorted(summaries, key=lambda summary: summary.name.casefold())


def access_commission(*, actor: User, slug: str) -> Commission:
    """The commission that ``actor`` may manage; "not found" whether it is missing or forbidden."""
    commission = Commission.objects.prefetch_related("texts").filter(slug=slug).first()
    if commission is None or not actor.is_secretariat:
        raise DomainError("not_found", _("Commission not found."), status=404)
    return commission
