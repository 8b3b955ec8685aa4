from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "tsmon.monitoring"
    label = "monitoring"
    verbose_name = "Monitoring of tsmon itself"
