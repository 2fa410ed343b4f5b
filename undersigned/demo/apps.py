from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Neutral demo content and ``manage.py load_demo``: above every domain, it builds through their services."""

    name = "undersigned.demo"
    label = "demo"
