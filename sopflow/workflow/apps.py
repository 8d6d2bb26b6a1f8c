from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    name = "sopflow.workflow"
    label = "workflow"
    verbose_name = "审批流程"

    def ready(self) -> None:
        from . import jobs  # noqa: F401  (registers the workflow timer handler)
