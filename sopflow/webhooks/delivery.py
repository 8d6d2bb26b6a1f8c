"""Sending webhook deliveries: sign, POST, record the attempt, back off for about a day."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.tasks import task

from sopflow.core.clock import clock
from sopflow.notify.http import post
from sopflow.scheduling.jobs import enqueue

from . import signing
from .models import WebhookAttempt, WebhookDelivery

# Waits after each failed try: the last try is 24 h after the first, then the delivery fails.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
    timedelta(hours=15, minutes=24),
)
STUCK_SENDING = timedelta(minutes=15)


@task(queue_name="webhook")
def deliver_webhook(delivery_id: int) -> None:
    send_webhook(delivery_id, now=clock.now())


def send_webhook(delivery_id: int, *, now: datetime) -> str:
    """One try; returns the new status ("skipped" when another worker has the row)."""
    Status = WebhookDelivery.Status
    if not WebhookDelivery.objects.filter(pk=delivery_id, status=Status.QUEUED).update(
        status=Status.SENDING
    ):
        return "skipped"
    delivery = WebhookDelivery.objects.select_related("subscription").get(pk=delivery_id)
    subscription = delivery.subscription
    timestamp = int(now.timestamp())
    answer = post(subscription.url, delivery.body.encode(),
                  signing.headers(subscription.secret, delivery.message_id, timestamp, delivery.body))
    attempts = delivery.attempts + 1
    with transaction.atomic():
        WebhookAttempt.objects.create(delivery=delivery, attempted_at=now, status_code=answer.status,
                                      is_success=answer.ok, error=answer.error[:2000],
                                      response_excerpt=answer.text[:500])
        if answer.ok:
            status = Status.SUCCEEDED
            next_at = None
        else:
            wait = BACKOFF[attempts - 1] if attempts <= len(BACKOFF) else None
            status = Status.SCHEDULED if wait else Status.FAILED
            next_at = now + wait if wait else None
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=status, attempts=attempts, next_attempt_at=next_at,
            last_status_code=answer.status, last_error=answer.error[:2000],
            delivered_at=now if answer.ok else None,
        )
    return status


def requeue_due_webhooks(now: datetime) -> int:
    """Scheduler sweep: enqueue deliveries whose backoff is over; free rows stuck in `sending`."""
    Status = WebhookDelivery.Status
    WebhookDelivery.objects.filter(status=Status.SENDING, updated_at__lt=now - STUCK_SENDING).update(
        status=Status.SCHEDULED, next_attempt_at=now)
    count = 0
    due = WebhookDelivery.objects.filter(status=Status.SCHEDULED, next_attempt_at__lte=now)
    for pk in list(due.order_by("next_attempt_at").values_list("pk", flat=True)[:500]):
        with transaction.atomic():
            if WebhookDelivery.objects.filter(pk=pk, status=Status.SCHEDULED).update(
                status=Status.QUEUED
            ):
                enqueue(deliver_webhook, pk)
                count += 1
    return count
