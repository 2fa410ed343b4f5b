from django.apps import AppConfig


class BackupsConfig(AppConfig):
    """``manage.py backup`` and ``restore``: the whole database to one file and back, with a manifest."""

    name = "undersigned.backups"
    label = "backups"
