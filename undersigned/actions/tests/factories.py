from __future__ import annotations

import factory
from django.utils import timezone

from undersigned.actions.models import SolidarityAction


class SolidarityActionFactory(factory.django.DjangoModelFactory[SolidarityAction]):
    """An approved action; give it its ``statement`` and (member) ``organisation``."""

    class Meta:
        model = SolidarityAction

    kind = SolidarityAction.Kind.FORUM
    date = factory.LazyFunction(timezone.localdate)
    city = "Lyon"
    country = "FR"
    description = "A public reading of the statement in the library's hall, followed by questions."
    status = SolidarityAction.Status.APPROVED
    via_member_sign_in = True
