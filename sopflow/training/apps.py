from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "sopflow.training"
    label = "training"
    verbose_name = "培训"

    def ready(self) -> None:
        from . import jobs  # noqa: F401  (registers the gate, the publish hook, sweeps, kinds)
