"""Records found again after a rotation of ``DATA_KEYS``.

A signer's and a contact's address is kept only as a keyed hash, made with the first data key. After
a rotation the records made before carry a hash under an older key, and the address itself cannot
be read back to hash it again (it is sealed to the trustees). What can be done is to hash it again
when the person gives it once more (signing, signing on, asking for their data, a member's sign-in):
this module finds their records by the older keys' hashes and moves them to the first key's, so that
one address stays one signature and "your data" finds what was stored before the rotation.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import IntegrityError, models, transaction

from undersigned.actions.models import SolidarityAction
from undersigned.core.addresses import InvalidAddressError
from undersigned.organisations.models import OrganisationContact, SignOn
from undersigned.organisations.services.names import contact_email_hash, older_contact_email_hashes
from undersigned.signatures.addresses import email_hash, older_email_hashes
from undersigned.signatures.models import Signature

logger = logging.getLogger(__name__)


def _move(model: type[models.Model], field: str, current: str, older: list[str]) -> int:
    moved = 0
    for pk in model._default_manager.filter(**{f"{field}__in": older}).values_list("pk", flat=True):
        try:
            with transaction.atomic():
                moved += model._default_manager.filter(pk=pk).update(**{field: current})
        except IntegrityError:
            # The same address made a record under the first key too (before this step ran for
            # it): the older record keeps its hash rather than merging two rows into one.
            logger.warning("%s %s keeps its older address hash: the address has a newer record", model.__name__, pk)
    return moved


def rehash_address(email: str) -> int:
    """Moves the records of ``email`` hashed under an older data key to the first key's hash;
    returns how many moved. Nothing to do, and no query, while there is one data key."""
    if len(settings.DATA_KEYS) < 2:
        return 0
    try:
        signer, signer_older = email_hash(email), older_email_hashes(email)
        contact, contact_older = contact_email_hash(email), older_contact_email_hashes(email)
    except InvalidAddressError:
        return 0
    return (
        _move(Signature, "email_hash", signer, signer_older)
        + _move(SignOn, "contact_email_hash", contact, contact_older)
        + _move(OrganisationContact, "email_hash", contact, contact_older)
        + _move(SolidarityAction, "contact_email_hash", contact, contact_older)
    )
