from django.apps import AppConfig


class FormTemplatesConfig(AppConfig):
    name = "sopflow.form_templates"
    label = "form_templates"
    verbose_name = "表单模板"

    def ready(self) -> None:
        from django.apps import apps

        if apps.is_installed("sopflow.notify"):
            from sopflow.notify.kinds import register_kind

            register_kind("form_templates.version.published", "模板新版本")
