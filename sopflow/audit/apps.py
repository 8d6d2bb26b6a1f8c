from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "sopflow.audit"
    label = "audit"
    verbose_name = "审计"
