from django.apps import AppConfig


class FormTemplatesConfig(AppConfig):
    name = "sopflow.form_templates"
    label = "form_templates"
    verbose_name = "表单模板"
