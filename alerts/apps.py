from django.apps import AppConfig


class AlertsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "alerts"
    verbose_name = "Alerts"

    def ready(self) -> None:
        from alerts.metrics import AlertCollector  # models are ready only now
        from vpn import metrics

        metrics.contribute(AlertCollector)
