from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "sopflow.accounts"
    label = "accounts"
    verbose_name = "账号与安全"

    def ready(self) -> None:
        from . import auth_events  # noqa: F401  (connects login/logout audit receivers)
