from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "sopflow.core"
    label = "core"
    verbose_name = "核心"
