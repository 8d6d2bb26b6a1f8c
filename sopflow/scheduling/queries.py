"""Read side for the jobs page: what failed for good and waits for an admin."""

from __future__ import annotations

from typing import Any

from .models import JobRun, Timer


def failures(limit: int = 100) -> dict[str, Any]:
    """Failed job runs, timers, notification deliveries and webhook deliveries, newest first."""
    from sopflow.notify.models import Delivery
    from sopflow.webhooks.models import WebhookDelivery

    return {
        "jobs": JobRun.objects.filter(status=JobRun.Status.FAILED).order_by("-finished_at")[:limit],
        "timers": Timer.objects.filter(failed_at__isnull=False).order_by("-failed_at")[:limit],
        "deliveries": Delivery.objects.filter(status=Delivery.Status.FAILED).select_related(
            "recipient", "robot").order_by("-updated_at")[:limit],
        "webhooks": WebhookDelivery.objects.filter(status=WebhookDelivery.Status.FAILED)
        .select_related("subscription").order_by("-updated_at")[:limit],
        "retrying": JobRun.objects.filter(status=JobRun.Status.RETRYING).count(),
    }
