from django.apps import AppConfig
from django.conf import locale


class CoreConfig(AppConfig):
    name = "undersigned.core"
    label = "core"

    def ready(self) -> None:
        # Django's table of languages has no Tagalog; {% get_language_info %} and the language
        # switcher read it for every interface language.
        locale.LANG_INFO.setdefault("tl", {"bidi": False, "code": "tl", "name": "Tagalog", "name_local": "Tagalog"})
