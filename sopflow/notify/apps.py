from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "sopflow.notify"
    verbose_name = "通知"

    def ready(self) -> None:
        from . import jobs  # noqa: F401  (registers sweeps, the reminder rule and timer kinds)
