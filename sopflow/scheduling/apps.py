from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "sopflow.scheduling"
    verbose_name = "定时与后台任务"

    def ready(self) -> None:
        from . import jobs  # noqa: F401  (registers the rule-runner job)
