from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "sopflow.org"
    label = "org"
    verbose_name = "组织"
