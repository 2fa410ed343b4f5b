"""Registering and removing trustees: the keys that signers' and organisations' contact data is
sealed to. A change is seen at once by this process and within ``TRUSTEE_KEYS_SECONDS`` by the
others; ``manage.py reseal`` then moves what was sealed to the old set."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from undersigned.accounts.models import User
from undersigned.commissions.models import Commission
from undersigned.core import audit
from undersigned.core.crypto import SealingError, parse_recipient
from undersigned.core.exceptions import DomainError
from undersigned.sealing.models import Trustee
from undersigned.sealing.selectors import forget_sealing_keys


def trustee_add(*, actor: User | None, commission: Commission | None, name: str, public_key: str) -> Trustee:
    """Register a trustee's public key (``age1…``). ``actor`` None means the operator's command line."""
    if actor is not None and not actor.is_secretariat:
        raise DomainError("forbidden", _("Only the secretariat registers trustees."), status=403)
    name, public_key = name.strip(), public_key.strip()
    if not name or len(name) > 200:
        raise DomainError("name_required", _("Give the trustee's name (at most 200 characters)."))
    try:
        parse_recipient(public_key)
    except SealingError:
        raise DomainError("invalid_key", _("This is not an age public key (it starts with age1).")) from None
    try:
        with transaction.atomic():
            trustee = Trustee.objects.create(commission=commission, name=name, public_key=public_key)
            transaction.on_commit(forget_sealing_keys)
            audit.record(actor=actor, action="trustee.added", subject=trustee, detail={"public_key": public_key})
    except IntegrityError:
        raise DomainError("key_taken", _("This public key is already registered for this issuing body.")) from None
    return trustee


def trustee_remove(*, actor: User | None, trustee: Trustee) -> Trustee:
    """Take a trustee's key out of the set new contact data is sealed to (the row stays, inactive,
    for the record). What was sealed before still opens with the key until ``manage.py reseal``
    re-seals it to the remaining trustees. The last trustee of a body is never removed: nothing
    could be sealed to no one, and the body's statements would stop taking signatures."""
    if actor is not None and not actor.is_secretariat:
        raise DomainError("forbidden", _("Only the secretariat removes trustees."), status=403)
    with transaction.atomic():
        body = Q(commission__isnull=True) if trustee.commission_id is None else Q(commission_id=trustee.commission_id)
        # Locked, so two removals at once cannot leave the body with no trustee.
        active = list(Trustee.objects.select_for_update().filter(body, is_active=True).order_by("pk"))
        if trustee.pk not in {other.pk for other in active}:
            raise DomainError("not_active", _("This trustee was removed already."))
        if len(active) == 1:
            raise DomainError(
                "last_trustee", _("This is the issuing body's only trustee. Add another trustee first."), status=409
            )
        Trustee.objects.filter(pk=trustee.pk).update(is_active=False)
        trustee.is_active = False
        transaction.on_commit(forget_sealing_keys)
        audit.record(actor=actor, action="trustee.removed", subject=trustee, detail={"public_key": trustee.public_key})
    return trustee
