from django.apps import AppConfig


class WorktimeConfig(AppConfig):
    name = "sopflow.worktime"
    verbose_name = "工作日历"
