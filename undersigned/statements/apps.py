from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatementsConfig(AppConfig):
    name = "undersigned.statements"
    label = "statements"
    verbose_name = _("Statements")

    def ready(self) -> None:
        from undersigned.statements import share_image  # noqa: F401  (registers its system check)
