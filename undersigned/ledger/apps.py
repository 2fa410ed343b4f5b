from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "undersigned.ledger"
    label = "ledger"
    verbose_name = _("Count ledger")

    def ready(self) -> None:
        from undersigned.ledger import site_log  # noqa: F401  (registers its system check)
