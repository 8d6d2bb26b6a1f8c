from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "sopflow.webhooks"
    verbose_name = "Webhook"

    def ready(self) -> None:
        from sopflow.scheduling.registry import register_sweep

        from .delivery import requeue_due_webhooks

        register_sweep("webhooks.deliveries", requeue_due_webhooks)
