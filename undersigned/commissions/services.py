from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from undersigned.accounts.models import User
from undersigned.commissions.models import Commission, CommissionMembership, CommissionText
from undersigned.core.exceptions import DomainError
from undersigned.core.languages import native_language_name
from undersigned.core.slugs import clean_slug


@dataclass(frozen=True)
class CommissionTextInput:
    name: str
    mandate: str


def _require_secretariat(actor: User | None) -> None:
    if actor is not None and not actor.is_secretariat:
        raise DomainError("forbidden", _("Only the secretariat can manage commissions."), status=403)


def _clean_slug(slug: str) -> str:
    return clean_slug(slug, max_length=80)


def _store_texts(commission: Commission, texts: Mapping[str, CommissionTextInput]) -> None:
    for language, text in texts.items():
        name, mandate = text.name.strip(), text.mandate.strip()
        if not name and mandate:
            raise DomainError(
                "name_required",
                _("Give the commission a name in %(language)s, or clear its mandate too.")
                % {"language": native_language_name(language)},
            )
        if not name:
            CommissionText.objects.filter(commission=commission, language=language).delete()
            continue
        CommissionText.objects.update_or_create(
            commission=commission, language=language, defaults={"name": name, "mandate": mandate}
        )
    if not commission.texts.exists():
        raise DomainError("name_required", _("Give the commission a name in at least one language."))


def commission_create(
    *,
    actor: User | None,
    slug: str,
    texts: Mapping[str, CommissionTextInput],
    members_skip_review: bool = False,
) -> Commission:
    """A new commission. ``actor`` None means the operator's command line."""
    _require_secretariat(actor)
    slug = _clean_slug(slug)
    try:
        with transaction.atomic():
            commission = Commission.objects.create(slug=slug, members_skip_review=members_skip_review)
            _store_texts(commission, texts)
    except IntegrityError:
        if Commission.objects.filter(slug=slug).exists():
            raise DomainError("slug_taken", _("Another commission already uses this short name.")) from None
        raise
    return commission


def commission_update(
    *,
    actor: User | None,
    commission: Commission,
    slug: str,
    texts: Mapping[str, CommissionTextInput],
    members_skip_review: bool | None = None,
) -> Commission:
    """Rename or retranslate a commission. All or nothing: a rejected edit leaves it as it was."""
    _require_secretariat(actor)
    slug = _clean_slug(slug)
    try:
        with transaction.atomic():
            locked = Commission.objects.select_for_update().get(pk=commission.pk)
            changed = []
            if locked.slug != slug:
                locked.slug = slug
                changed.append("slug")
            if members_skip_review is not None and locked.members_skip_review != members_skip_review:
                locked.members_skip_review = members_skip_review
                changed.append("members_skip_review")
            if changed:
                locked.save(update_fields=changed)
            _store_texts(locked, texts)
    except IntegrityError:
        if Commission.objects.filter(slug=slug).exclude(pk=commission.pk).exists():
            raise DomainError("slug_taken", _("Another commission already uses this short name.")) from None
        raise
    return locked


def commission_member_add(
    *, actor: User | None, commission: Commission, user: User, role: CommissionMembership.Role
) -> CommissionMembership:
    """Give ``user`` a role in ``commission``, replacing any role they had there."""
    _require_secretariat(actor)
    membership, _created = CommissionMembership.objects.update_or_create(
        commission=commission, user=user, defaults={"role": role}
    )
    return membership
