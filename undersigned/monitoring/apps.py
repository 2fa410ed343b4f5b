from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "undersigned.monitoring"
    verbose_name = "Metrics for Prometheus"
