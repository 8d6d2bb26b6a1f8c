"""Sending outbox rows: the `deliver` task, the retry/quiet-hours sweep and digests.

Every try leaves a `DeliveryAttempt`. Failures back off 1m, 5m, 30m, 2h, 12h and then the row is
`failed` (listed on the jobs page, with a retry button). A robot over its per-minute limit is
postponed without counting a try.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.tasks import task

from sopflow.core.clock import clock
from sopflow.org.models import User
from sopflow.scheduling.jobs import enqueue
from sopflow.scheduling.services import backoff_after

from . import robots
from .emails import absolute, build_email
from .http import post
from .models import Delivery, DeliveryAttempt, DigestRun, Robot

logger = logging.getLogger(__name__)
STUCK_SENDING = timedelta(minutes=15)
RATE_WINDOW = timedelta(minutes=1)


@task(queue_name="notify")
def deliver(delivery_id: int) -> None:
    send_delivery(delivery_id, now=clock.now())


def send_delivery(delivery_id: int, *, now: datetime) -> str:
    """Try one delivery once; returns its new status. A row another worker claimed is left alone."""
    if not Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.QUEUED).update(
        status=Delivery.Status.SENDING
    ):
        return "skipped"
    delivery = Delivery.objects.select_related("robot", "recipient", "notification").get(
        pk=delivery_id)
    if delivery.robot is not None:
        wait_until = _rate_limited_until(delivery.robot, now)
        if wait_until is not None:
            Delivery.objects.filter(pk=delivery.pk).update(
                status=Delivery.Status.SCHEDULED, next_attempt_at=wait_until)
            return Delivery.Status.SCHEDULED
    ok, status_code, error, excerpt = _send(delivery, now)
    with transaction.atomic():
        DeliveryAttempt.objects.create(delivery=delivery, attempted_at=now, is_success=ok,
                                       status_code=status_code, error=error[:2000],
                                       response_excerpt=excerpt[:500])
        attempts = delivery.attempts + 1
        if ok:
            Delivery.objects.filter(pk=delivery.pk).update(
                status=Delivery.Status.SENT, attempts=attempts, sent_at=now,
                last_status_code=status_code, last_error="", next_attempt_at=None)
            return Delivery.Status.SENT
        wait = backoff_after(attempts)
        status = Delivery.Status.SCHEDULED if wait else Delivery.Status.FAILED
        Delivery.objects.filter(pk=delivery.pk).update(
            status=status, attempts=attempts, last_status_code=status_code,
            last_error=error[:2000], next_attempt_at=now + wait if wait else None)
    return status


def requeue_due_deliveries(now: datetime) -> int:
    """Scheduler sweep: enqueue deliveries whose wait is over; free rows stuck in `sending`."""
    Delivery.objects.filter(
        status=Delivery.Status.SENDING, updated_at__lt=now - STUCK_SENDING
    ).update(status=Delivery.Status.SCHEDULED, next_attempt_at=now)
    count = 0
    due = Delivery.objects.filter(status=Delivery.Status.SCHEDULED, next_attempt_at__lte=now)
    for pk in list(due.order_by("next_attempt_at").values_list("pk", flat=True)[:500]):
        with transaction.atomic():
            if Delivery.objects.filter(pk=pk, status=Delivery.Status.SCHEDULED).update(
                status=Delivery.Status.QUEUED
            ):
                enqueue(deliver, pk)
                count += 1
    return count


def send_due_digests(now: datetime) -> int:
    """Bundle held CC e-mails: hourly ones at each full hour, daily ones from 08:00 (Shanghai).

    One digest per person and period: the DigestRun row's UNIQUE key stops a second scheduler.
    """
    from sopflow.worktime.calendar import calendar_for

    local = calendar_for(None).local(now)
    periods = [("hourly", local.replace(minute=0, second=0, microsecond=0))]
    if local.hour >= 8:
        periods.append(("daily", local.replace(hour=0, minute=0, second=0, microsecond=0)))
    made = 0
    for frequency, period in periods:
        try:
            with transaction.atomic():
                DigestRun.objects.create(frequency=frequency, period_start=period)
                held = list(Delivery.objects.select_for_update(of=("self",)).filter(
                    status=Delivery.Status.HELD, frequency=frequency, created_at__lt=period
                ))
                by_user: dict[int, list[Delivery]] = defaultdict(list)
                for row in held:
                    by_user[row.recipient_id].append(row)  # type: ignore[index]  # e-mail rows have one
                for user_id, rows in by_user.items():
                    digest = Delivery.objects.create(
                        channel=Delivery.Channel.EMAIL, recipient_id=user_id, created_at=now,
                        status=Delivery.Status.QUEUED, next_attempt_at=now,
                        payload={"digest_of": [row.pk for row in rows]},
                    )
                    Delivery.objects.filter(pk__in=[row.pk for row in rows]).update(
                        status=Delivery.Status.DIGESTED)
                    enqueue(deliver, digest.pk)
                    made += 1
        except IntegrityError:
            continue  # this period's digest was already made
    return made


def _send(delivery: Delivery, now: datetime) -> tuple[bool, int | None, str, str]:
    try:
        if delivery.channel == Delivery.Channel.EMAIL:
            return _send_email(delivery)
        return _send_robot(delivery, now)
    except Exception as error:  # noqa: BLE001  (recorded on the attempt, retried later)
        logger.exception("delivery %s failed", delivery.pk)
        return False, None, f"{type(error).__name__}: {error}", ""


def _send_email(delivery: Delivery) -> tuple[bool, int | None, str, str]:
    user: User | None = delivery.recipient
    if user is None or not user.email:
        return False, None, "recipient has no e-mail address", ""
    language = user.language or "zh-hans"
    if "digest_of" in delivery.payload:
        sources = Delivery.objects.filter(pk__in=delivery.payload["digest_of"]).select_related(
            "notification").order_by("created_at", "pk")
        items = [_item(row.notification, language) for row in sources if row.notification]
    elif delivery.notification is not None:
        items = [_item(delivery.notification, language)]
    else:
        items = [(delivery.payload.get("title", ""), delivery.payload.get("body", ""),
                  delivery.payload.get("link", ""))]
    build_email(to=user.email, name=user.name, language=language, items=items).send()
    return True, None, "", ""


def _item(notification: object, language: str) -> tuple[str, str, str]:
    title, body = notification.text_for(language)  # type: ignore[attr-defined]  # Notification
    return title, body, notification.link  # type: ignore[attr-defined]  # Notification


def _send_robot(delivery: Delivery, now: datetime) -> tuple[bool, int | None, str, str]:
    robot = delivery.robot
    if robot is None:
        return False, None, "robot was removed", ""
    request = robots.build_request(
        platform=robot.platform, webhook_url=robot.webhook_url, secret=robot.secret,
        title=delivery.payload.get("title", ""), body=delivery.payload.get("body", ""),
        link=absolute(delivery.payload.get("link", "")), now=now,
    )
    answer = post(request.url, request.encoded(), {"Content-Type": "application/json; charset=utf-8"})
    ok, reason = robots.accepted(robot.platform, answer.status, answer.text)
    return ok, answer.status, answer.error or reason, answer.text


def _rate_limited_until(robot: Robot, now: datetime) -> datetime | None:
    """When the robot's window frees up, or None if it may post now."""
    recent = list(DeliveryAttempt.objects.filter(
        delivery__robot=robot, attempted_at__gt=now - RATE_WINDOW
    ).order_by("attempted_at").values_list("attempted_at", flat=True))
    if len(recent) < robot.rate_limit_per_minute:
        return None
    return recent[-robot.rate_limit_per_minute] + RATE_WINDOW


__all__ = ["deliver", "requeue_due_deliveries", "send_delivery", "send_due_digests"]
