from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "sopflow.api"
    label = "api"
    verbose_name = "REST API"
