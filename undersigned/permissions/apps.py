from django.apps import AppConfig


class PermissionsConfig(AppConfig):
    name = "undersigned.permissions"
    label = "permissions"
