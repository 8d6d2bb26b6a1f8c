"""Notification use cases: `notify` (in-app rows + outbox deliveries in the caller's transaction),
read marks, preferences and robot configuration. Sending lives in `delivery.py`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, time
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext

from sopflow.audit.services import record
from sopflow.core.clock import clock
from sopflow.core.errors import Forbidden, NotFound, ValidationFailed
from sopflow.core.sql import Batch, Table, cursor
from sopflow.org.access import has_role
from sopflow.org.models import Company, Department, Position, RoleAssignment, User
from sopflow.scheduling.jobs import enqueue
from sopflow.scheduling.models import ScheduleRule
from sopflow.worktime.calendar import CompanyCalendar, calendar_for

from .kinds import KINDS
from .models import Delivery, Notification, NotificationPreference, Robot

Channel = NotificationPreference.Channel
Frequency = NotificationPreference.Frequency
_NOTIFICATIONS = Table(Notification)


def notify(
    *,
    recipients: Iterable[User],
    kind: str,
    title: str,
    body: str = "",
    link: str = "",
    actor: User | None = None,
    urgent: bool = False,
    company: Company | None = None,
    department: Department | None = None,
    template_key: str = "",
    working_days_only: bool = False,
    translations: dict[str, dict[str, str]] | None = None,
    source: str = "",
    robots: Sequence[Robot] | None = None,
    batch: Batch | None = None,
) -> list[Notification]:
    """Tell `recipients` about something, in the caller's transaction (outbox).

    Writes one in-app `Notification` per active recipient (never to the actor themself), an
    e-mail `Delivery` per recipient who has an address and has not turned the kind off, and a
    robot `Delivery` per active robot configured for `department` or `template_key`. E-mail and
    robot messages wait for the end of quiet hours (and, with `working_days_only`, for a
    working day) unless `urgent`; CC-style kinds may be held for the recipient's digest.
    Deliveries due now are enqueued; the rest are picked up by the scheduler.

    Batched for hot paths: one INSERT for all notifications, one for all deliveries, the
    preferences read only for recipients who have an e-mail address, and no robot query when
    the caller passes `robots` (from `robots_for`, or [] when it knows there are none). With
    `batch` and no e-mail to send, the rows join the caller's other writes (`core.sql.Batch`,
    written when the caller runs it) and nothing is returned.
    """
    now = clock.now()
    actor_id = actor.pk if actor is not None else None
    people = {user.pk: user for user in recipients if user.is_active and user.pk != actor_id}
    calendars: dict[int | None, CompanyCalendar] = {}
    with_email = [pk for pk, user in people.items() if user.email]
    preferences = _preferences(with_email, kind) if with_email else {}
    rows = [{"recipient_id": pk, "kind": kind, "title": title[:200], "body": body, "link": link,
             "actor_id": actor_id, "is_urgent": urgent, "created_at": now,
             "translations": translations or {}, "source": source[:200], "read_at": None}
            for pk in people]
    deliveries: list[Delivery] = []
    # No savepoint of its own: it writes in the caller's transaction (or starts one).
    with transaction.atomic(savepoint=False):
        created: list[Notification] = []
        if rows and batch is not None and not with_email:  # no delivery needs their ids
            batch.insert(_NOTIFICATIONS, rows)
        elif rows:
            with cursor() as c:
                ids = _NOTIFICATIONS.insert(c, rows)
            created = [_NOTIFICATIONS.build(pk, row) for pk, row in zip(ids, rows, strict=True)]
        for notification in created:
            user = people[notification.recipient_id]
            Notification.recipient.field.set_cached_value(notification, user)
            preference = preferences.get((user.pk, Channel.EMAIL))
            if not user.email or (preference is not None and not preference.is_enabled):
                continue
            frequency = preference.frequency if preference is not None else Frequency.IMMEDIATE
            if frequency != Frequency.IMMEDIATE and not urgent and _can_digest(kind):
                deliveries.append(Delivery(
                    channel=Delivery.Channel.EMAIL, notification=notification, recipient=user,
                    status=Delivery.Status.HELD, frequency=frequency, created_at=now,
                ))
                continue
            calendar = _calendar_of(calendars, user.company_id, user, company)
            when = now if urgent else calendar.next_delivery_moment(
                now, working_days_only=working_days_only)
            deliveries.append(_outbox(channel=Delivery.Channel.EMAIL, notification=notification,
                                      recipient=user, robot=None, payload={}, when=when, now=now))
        if robots is None:
            robots = robots_for(company, department, template_key)
        for robot in robots:
            calendar = _calendar_of(calendars, robot.company_id, robot, company)
            when = now if urgent else calendar.next_delivery_moment(
                now, working_days_only=working_days_only)
            names = "、".join(user.name for user in people.values())
            payload = {"title": title, "body": body + (f"\n\n{names}" if names else ""),
                       "link": link}
            deliveries.append(_outbox(channel=Delivery.Channel.ROBOT, notification=None,
                                      recipient=None, robot=robot, payload=payload, when=when,
                                      now=now))
        if deliveries:
            from .delivery import deliver

            for delivery in Delivery.objects.bulk_create(deliveries):
                if delivery.status == Delivery.Status.QUEUED:
                    enqueue(deliver, delivery.pk)
    return created


def robots_for(company: Company | None, department: Department | None = None,
               template_key: str = "") -> list[Robot]:
    """The active robots `notify` would post to (look up once, pass to several notify calls)."""
    return _robots(company, department, template_key)


def mark_read(*, actor: User, notification_id: int) -> Notification:
    """Mark one of the actor's own notifications read (idempotent)."""
    notification = Notification.objects.filter(pk=notification_id, recipient=actor).first()
    if notification is None:
        raise NotFound(gettext("通知不存在"))
    if notification.read_at is None:
        notification.read_at = clock.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at)
    return notification


def mark_all_read(*, actor: User) -> int:
    return Notification.objects.filter(recipient=actor, read_at__isnull=True).update(
        read_at=clock.now())


def set_preference(
    *, actor: User, kind: str, channel: str, is_enabled: bool, frequency: str = Frequency.IMMEDIATE
) -> NotificationPreference:
    """The actor's own choice for one kind and channel; digests only for CC-style kinds."""
    if kind not in KINDS or channel not in Channel.values or frequency not in Frequency.values:
        raise ValidationFailed(gettext("无效的通知设置"))
    if frequency != Frequency.IMMEDIATE and not _can_digest(kind):
        raise ValidationFailed(gettext("这类通知不能汇总发送"), field="frequency")
    with transaction.atomic():
        preference, _ = NotificationPreference.objects.update_or_create(
            user=actor, kind=kind, channel=channel,
            defaults={"is_enabled": is_enabled, "frequency": frequency},
        )
    return preference


def create_robot(
    *, actor: User, company: Company, name: str, platform: str, webhook_url: str, secret: str = "",
    department: Department | None = None, template_key: str = "", rate_limit_per_minute: int = 20,
) -> Robot:
    """Add a group-chat robot (system or process admins of the company)."""
    _require_admin(actor, company)
    if platform not in Robot.Platform.values:
        raise ValidationFailed(gettext("平台无效"), field="platform")
    if not webhook_url.startswith(("https://", "http://")):
        raise ValidationFailed(gettext("Webhook 地址需以 https:// 开头"), field="webhook_url")
    if department is not None and department.company_id != company.pk:
        raise ValidationFailed(gettext("部门不属于该公司"), field="department")
    with transaction.atomic():
        robot = Robot.objects.create(
            company=company, name=name[:100], platform=platform, webhook_url=webhook_url,
            secret=secret, department=department, template_key=template_key[:100],
            rate_limit_per_minute=max(1, rate_limit_per_minute),
        )
        record(actor=actor, action="notify.robot.created", obj=robot, company_id=company.pk,
               changes={"platform": platform, "department": department.pk if department else None,
                        "template_key": template_key})
    return robot


def set_robot_active(*, actor: User, robot: Robot, is_active: bool) -> Robot:
    _require_admin(actor, robot.company)
    with transaction.atomic():
        Robot.objects.filter(pk=robot.pk).update(is_active=is_active)
        record(actor=actor, action="notify.robot.updated", obj=robot, company_id=robot.company_id,
               changes={"is_active": [robot.is_active, is_active]})
    robot.is_active = is_active
    return robot


def send_robot_test(*, actor: User, robot: Robot) -> Delivery:
    """Queue a test message to `robot` now (no quiet hours; disabled robots too, so a robot can
    be checked before it is switched on). The result shows up as the delivery's attempts."""
    _require_admin(actor, robot.company)
    from .delivery import deliver

    now = clock.now()
    with transaction.atomic():
        payload = {"title": "sopflow 测试消息",
                   "body": f"{actor.name} 在 {clock.today_local():%Y-%m-%d %H:%M} 发送的测试消息，"
                           f"收到说明群机器人“{robot.name}”配置正确。",
                   "link": ""}
        delivery = Delivery.objects.create(
            channel=Delivery.Channel.ROBOT, robot=robot, payload=payload, created_at=now,
            next_attempt_at=now, status=Delivery.Status.QUEUED,
        )
        record(actor=actor, action="notify.robot.tested", obj=robot, company_id=robot.company_id,
               changes={"delivery": delivery.pk})
        enqueue(deliver, delivery.pk)
    return delivery


def create_reminder_rule(
    *, actor: User, company: Company, name: str, time_of_day: time, days: str, title: str,
    body: str = "", link: str = "", department_ids: Iterable[int] = (),
    position_ids: Iterable[int] = (), user_ids: Iterable[int] = (),
) -> ScheduleRule:
    """A daily "notify.reminder" rule for an audience of departments (with their sub-departments
    and secondary members), positions and named people of `company`.

    `payload["audience"]` keeps the choice; the handler resolves it again at every run (so new
    hires are reminded) and `payload["user_ids"]` records who it meant at creation. Raises
    ValidationFailed for an empty title or audience, or ids of another company.
    """
    from sopflow.org.queries import audience_member_ids
    from sopflow.scheduling.services import create_rule

    title = title.strip()[:200]
    if not title:
        raise ValidationFailed(gettext("请填写提醒内容"), field="title")
    audience = {"department_ids": sorted(set(department_ids)),
                "position_ids": sorted(set(position_ids)), "user_ids": sorted(set(user_ids))}
    departments = list(Department.objects.filter(company=company, pk__in=audience["department_ids"]))
    positions = list(Position.objects.filter(company=company, pk__in=audience["position_ids"]))
    named = list(User.objects.filter(company=company, pk__in=audience["user_ids"]))
    if (len(departments), len(positions), len(named)) != (
            len(audience["department_ids"]), len(audience["position_ids"]), len(audience["user_ids"])):
        raise ValidationFailed(gettext("部门、岗位或人员不属于该公司"), field="audience")
    recipients = audience_member_ids(company, **audience)
    if not recipients:
        raise ValidationFailed(gettext("请选择提醒对象（部门、岗位或人员），且其中至少有一位在职员工"),
                               field="audience")
    return create_rule(
        actor=actor, company=company, name=name, time_of_day=time_of_day, days=days,
        handler="notify.reminder",
        payload={"title": title, "body": body.strip(), "link": link.strip(), "days": days,
                 "user_ids": recipients, "audience": audience},
    )


def retry_delivery(*, actor: User, delivery_id: int) -> Delivery:
    """Send a failed delivery again with a fresh set of tries (system admins, jobs page)."""
    if not has_role(actor, RoleAssignment.Role.SYSTEM_ADMIN):
        raise Forbidden(gettext("只有系统管理员可以重试"))
    from .delivery import deliver

    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().filter(
            pk=delivery_id, status=Delivery.Status.FAILED).first()
        if delivery is None:
            raise NotFound(gettext("投递不存在或未失败"))
        Delivery.objects.filter(pk=delivery.pk).update(
            status=Delivery.Status.QUEUED, attempts=0, next_attempt_at=clock.now())
        record(actor=actor, action="notify.delivery.retried", obj=delivery,
               changes={"channel": delivery.channel, "error": delivery.last_error[-300:]})
        enqueue(deliver, delivery.pk)
    delivery.refresh_from_db()
    return delivery


def _outbox(
    *, channel: str, notification: Notification | None, recipient: User | None,
    robot: Robot | None, payload: dict[str, Any], when: datetime, now: datetime,
) -> Delivery:
    """An unsaved delivery: queued when due now, scheduled for later otherwise."""
    return Delivery(
        channel=channel, notification=notification, recipient=recipient, robot=robot,
        payload=payload, created_at=now, next_attempt_at=when,
        status=Delivery.Status.QUEUED if when <= now else Delivery.Status.SCHEDULED,
    )


def _preferences(user_ids: list[int], kind: str) -> dict[tuple[int, str], NotificationPreference]:
    rows = NotificationPreference.objects.filter(user_id__in=user_ids, kind=kind)
    return {(row.user_id, row.channel): row for row in rows}


def _robots(company: Company | None, department: Department | None, template_key: str) -> list[Robot]:
    if department is None and not template_key:
        return []
    match = Q()
    if department is not None:
        match |= Q(department=department)
    if template_key:
        match |= Q(template_key=template_key)
    robots = Robot.objects.filter(match, is_active=True).select_related("company")
    if company is not None:
        robots = robots.filter(company=company)
    return list(robots)


def _calendar_of(cache: dict[int | None, CompanyCalendar], company_id: int | None,
                 owner: User | Robot, company: Company | None) -> CompanyCalendar:
    """The calendar of a recipient's or robot's company, loaded once per call; the company row
    is not read again when it is the `company` the caller passed."""
    if company_id not in cache:
        if company_id is None:
            cache[company_id] = calendar_for(None)
        elif company is not None and company.pk == company_id:
            cache[company_id] = calendar_for(company)
        else:
            cache[company_id] = calendar_for(owner.company)
    return cache[company_id]


def _can_digest(kind: str) -> bool:
    known = KINDS.get(kind)
    return bool(known and known.can_digest)


def _require_admin(actor: User, company: Company) -> None:
    if not (has_role(actor, RoleAssignment.Role.PROCESS_ADMIN, company=company)
            or has_role(actor, RoleAssignment.Role.SYSTEM_ADMIN, company=company)):
        raise Forbidden(gettext("只有系统管理员或流程管理员可以配置群机器人"))
