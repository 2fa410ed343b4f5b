from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "undersigned.privacy"
    verbose_name = "Signers' data rights and retention"
