from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SealingConfig(AppConfig):
    name = "undersigned.sealing"
    label = "sealing"
    verbose_name = _("Trustees and sealing")
