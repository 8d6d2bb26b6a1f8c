"""Timers, scheduled rules and job runs: schedule, cancel, fire, tick, retry, reap.

Firing is at-least-once per try and once in effect: every claim is a conditional UPDATE, and the
handler runs in the claim's transaction, so a failed handler also un-claims.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import traceback
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, models, transaction
from django.db.models import F
from django.utils.translation import gettext

from sopflow.audit.services import record
from sopflow.core.clock import clock
from sopflow.core.errors import Forbidden, NotFound, ValidationFailed
from sopflow.org.access import has_role
from sopflow.org.models import Company, RoleAssignment, User

from . import registry
from .models import JobRun, ScheduleFire, ScheduleRule, Timer

logger = logging.getLogger(__name__)

BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
STUCK_AFTER = timedelta(minutes=30)


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def backoff_after(attempts: int) -> timedelta | None:
    """Wait before the next try after `attempts` failed tries; None once they are used up."""
    return BACKOFF[attempts - 1] if 1 <= attempts <= len(BACKOFF) else None


# --- timers -------------------------------------------------------------------------------------


def schedule_timer(
    *,
    key: str,
    kind: str,
    due_at: datetime,
    target: models.Model | None = None,
    payload: dict[str, Any] | None = None,
    company: Company | None = None,
) -> Timer:
    """Create the timer `key`, or move it to `due_at` (re-arming it if it already fired or was
    cancelled). Joins the caller's transaction, so a rolled-back change leaves no timer."""
    target_type = target._meta.label_lower if target is not None else ""
    target_id = str(target.pk) if target is not None else ""
    values = {
        "kind": kind, "due_at": due_at, "run_at": due_at, "payload": payload or {},
        "target_type": target_type, "target_id": target_id,
        "company": company, "fired_at": None, "claimed_by": "", "attempts": 0,
        "last_error": "", "failed_at": None, "cancelled_at": None,
    }
    with transaction.atomic():
        timer, _ = Timer.objects.update_or_create(key=key, defaults=values)
    return timer


def cancel_timer(key: str, *, now: datetime | None = None) -> bool:
    """Cancel a pending timer; False when it does not exist or already fired."""
    changed = Timer.objects.filter(key=key, fired_at__isnull=True, cancelled_at__isnull=True).update(
        cancelled_at=now or clock.now()
    )
    return changed == 1


def fire_due_timers(*, now: datetime | None = None, limit: int = 500) -> int:
    """Fire up to `limit` due timers in `due_at` order; returns how many this caller fired.

    Each timer: one transaction that claims it (conditional UPDATE; a row another sweeper won
    is skipped, and on PostgreSQL rows locked by another sweeper are skipped without waiting)
    and runs its handler. A handler error rolls the claim back and pushes `run_at` out by the
    backoff; after the last try the timer is marked failed for the jobs page.
    """
    now = now or clock.now()
    me = worker_id()
    pending = Timer.objects.filter(
        fired_at__isnull=True, cancelled_at__isnull=True, failed_at__isnull=True, run_at__lte=now
    ).order_by("due_at", "pk").values_list("pk", flat=True)[:limit]
    fired = 0
    for pk in list(pending):
        try:
            with transaction.atomic():
                if not _claim_timer(pk, now=now, me=me):
                    continue
                timer = Timer.objects.get(pk=pk)
                handler = registry.timer_handlers.get(timer.kind)
                if handler is None:
                    raise LookupError(f"no timer handler registered for kind {timer.kind!r}")
                handler(_fired(timer, now))
                fired += 1
        except Exception as error:  # noqa: BLE001  (any handler error means "try later")
            logger.exception("timer %s failed", pk)
            _record_timer_failure(pk, error=error, now=now)
    return fired


def retry_timer(*, actor: User, timer_id: int) -> Timer:
    """Give a failed timer another round of tries (system admins, from the jobs page)."""
    _require_system_admin(actor)
    with transaction.atomic():
        timer = Timer.objects.select_for_update().filter(pk=timer_id, failed_at__isnull=False).first()
        if timer is None:
            raise NotFound(gettext("定时器不存在或未失败"))
        Timer.objects.filter(pk=timer.pk).update(failed_at=None, attempts=0, run_at=clock.now())
        record(actor=actor, action="scheduling.timer.retried", obj=timer,
               changes={"key": timer.key, "error": timer.last_error[-500:]})
    timer.refresh_from_db()
    return timer


def _claim_timer(pk: int, *, now: datetime, me: str) -> bool:
    unclaimed = Timer.objects.filter(
        pk=pk, fired_at__isnull=True, cancelled_at__isnull=True, failed_at__isnull=True
    )
    # On PostgreSQL, a row another sweeper holds mid-handler is skipped instead of waited for.
    if connection.features.has_select_for_update_skip_locked and not list(
        unclaimed.select_for_update(skip_locked=True).values_list("pk", flat=True)
    ):
        return False
    # Another sweeper may have fired it since we listed it, so trust only the update count.
    return unclaimed.update(fired_at=now, claimed_by=me, attempts=F("attempts") + 1) == 1


def _fired(timer: Timer, now: datetime) -> registry.FiredTimer:
    return registry.FiredTimer(
        key=timer.key, kind=timer.kind, target_type=timer.target_type, target_id=timer.target_id,
        payload=timer.payload, company_id=timer.company_id, due_at=timer.due_at, now=now,
        attempt=timer.attempts,
    )


def _record_timer_failure(pk: int, *, error: BaseException, now: datetime) -> None:
    with transaction.atomic():
        timer = Timer.objects.select_for_update().filter(pk=pk, fired_at__isnull=True).first()
        if timer is None:
            return
        attempts = timer.attempts + 1
        wait = backoff_after(attempts)
        Timer.objects.filter(pk=pk).update(
            attempts=attempts,
            last_error=_describe(error),
            run_at=now + wait if wait else timer.run_at,
            failed_at=None if wait else now,
        )


# --- scheduled rules ----------------------------------------------------------------------------


def fire_due_rules(*, now: datetime | None = None) -> int:
    """Fire every active rule whose time has come today (company time zone, working days only
    when asked). The fire row and the job are written in one transaction; a second scheduler
    hits the UNIQUE(rule, period) constraint and skips."""
    from sopflow.worktime.calendar import calendar_for

    now = now or clock.now()
    fired = 0
    companies: dict[int, Company] = {}
    for rule in ScheduleRule.objects.filter(is_active=True).select_related("company"):
        company = companies.setdefault(rule.company_id, rule.company)
        calendar = calendar_for(company)
        local = calendar.local(now)
        today = local.date()
        at = datetime.combine(today, rule.time_of_day, tzinfo=calendar.timezone)
        if local < at or local - at > timedelta(minutes=rule.catch_up_minutes):
            continue
        if rule.days == ScheduleRule.Days.WORKING and not calendar.is_working_day(today):
            continue
        if ScheduleFire.objects.filter(rule=rule, period_on=today).exists():
            continue
        try:
            with transaction.atomic():
                fire = ScheduleFire.objects.create(rule=rule, period_on=today, fired_at=now)
                run = enqueue_job(
                    name="scheduling.rule", arguments={"fire_id": fire.pk}, company=rule.company,
                    now=now,
                )
                ScheduleFire.objects.filter(pk=fire.pk).update(job_run=run)
        except IntegrityError:
            continue  # another scheduler fired this rule for today first
        fired += 1
    return fired


def create_rule(
    *, actor: User, company: Company, name: str, time_of_day: time, days: str, handler: str,
    payload: dict[str, Any] | None = None, key: str = "",
) -> ScheduleRule:
    """Add a daily rule of `company` (system or process admins). `handler` must be a registered
    rule kind (e.g. "notify.reminder"); `key` defaults to a fresh "<handler>-<random>" slug.

    Raises Forbidden for other people and ValidationFailed for an unknown handler or day choice,
    or a key the company already uses.
    """
    from . import access

    if not access.can_manage_rules(actor, company):
        raise Forbidden(gettext("只有系统管理员或流程管理员可以配置定时提醒"))
    if handler not in registry.rule_handlers:
        raise ValidationFailed(gettext("未知的定时规则类型"), field="handler")
    if days not in ScheduleRule.Days.values:
        raise ValidationFailed(gettext("请选择“仅工作日”或“每天”"), field="days")
    name = name.strip()[:100]
    if not name:
        raise ValidationFailed(gettext("请填写名称"), field="name")
    key = key or f"{handler.replace('.', '-')}-{secrets.token_hex(4)}"
    with transaction.atomic():
        if ScheduleRule.objects.filter(company=company, key=key).exists():
            raise ValidationFailed(gettext("规则编码已存在"), field="key")
        rule = ScheduleRule.objects.create(
            company=company, key=key, name=name, time_of_day=time_of_day, days=days,
            handler=handler, payload=payload or {},
        )
        record(actor=actor, action="scheduling.rule.created", obj=rule, company_id=company.pk,
               changes={"key": key, "name": name, "time_of_day": time_of_day.isoformat(),
                        "days": days, "handler": handler, "payload": payload or {}})
    return rule


def set_rule_active(*, actor: User, rule: ScheduleRule, is_active: bool) -> ScheduleRule:
    """Enable or disable a rule (system or process admins of its company); idempotent."""
    from . import access

    with transaction.atomic():
        rule = ScheduleRule.objects.select_for_update(of=("self",)).select_related("company").get(pk=rule.pk)
        if not access.can_manage_rules(actor, rule.company):
            raise Forbidden(gettext("只有系统管理员或流程管理员可以配置定时提醒"))
        if rule.is_active == is_active:
            return rule
        ScheduleRule.objects.filter(pk=rule.pk).update(is_active=is_active)
        record(actor=actor, action="scheduling.rule.updated", obj=rule,
               company_id=rule.company_id, changes={"is_active": [rule.is_active, is_active]})
        rule.is_active = is_active
    return rule


# --- job runs -----------------------------------------------------------------------------------


def enqueue_job(
    *, name: str, arguments: dict[str, Any] | None = None, company: Company | None = None,
    now: datetime | None = None,
) -> JobRun:
    """Record a job run and enqueue it, in the caller's transaction (see `jobs.enqueue`)."""
    from .jobs import enqueue, run_job

    if name not in registry.jobs:
        raise LookupError(f"unknown job {name!r}")
    with transaction.atomic():
        run = JobRun.objects.create(name=name, arguments=arguments or {}, company=company,
                                    created_at=now or clock.now())
        enqueue(run_job, run.pk)
    return run


def execute_job_run(job_run_id: int) -> None:
    """Run one job run (called by the `run_job` task). Failures are recorded, never raised:
    the retry comes from `requeue_due_jobs` after the backoff."""
    now = clock.now()
    claimed = JobRun.objects.filter(
        pk=job_run_id, status__in=[JobRun.Status.QUEUED, JobRun.Status.RUNNING]
    ).update(status=JobRun.Status.RUNNING, attempts=F("attempts") + 1, started_at=now)
    if not claimed:
        return
    run = JobRun.objects.get(pk=job_run_id)
    try:
        function = registry.jobs[run.name]
        with transaction.atomic():
            function(**run.arguments)
    except Exception as error:  # noqa: BLE001  (recorded for the jobs page)
        logger.exception("job %s #%s failed", run.name, run.pk)
        wait = backoff_after(run.attempts)
        JobRun.objects.filter(pk=run.pk).update(
            status=JobRun.Status.RETRYING if wait else JobRun.Status.FAILED,
            next_attempt_at=now + wait if wait else None,
            last_error=_describe(error),
            finished_at=None if wait else clock.now(),
        )
        return
    JobRun.objects.filter(pk=run.pk).update(
        status=JobRun.Status.SUCCEEDED, finished_at=clock.now(), next_attempt_at=None
    )


def requeue_due_jobs(now: datetime) -> int:
    """Enqueue job runs whose backoff has passed (each claimed by a conditional update)."""
    from .jobs import enqueue, run_job

    count = 0
    due = JobRun.objects.filter(status=JobRun.Status.RETRYING, next_attempt_at__lte=now)
    for pk in list(due.values_list("pk", flat=True)[:200]):
        with transaction.atomic():
            if JobRun.objects.filter(pk=pk, status=JobRun.Status.RETRYING).update(
                status=JobRun.Status.QUEUED
            ):
                enqueue(run_job, pk)
                count += 1
    return count


def retry_job(*, actor: User, job_run_id: int) -> JobRun:
    """Start a failed job again with a fresh set of tries (system admins only)."""
    from .jobs import enqueue, run_job

    _require_system_admin(actor)
    with transaction.atomic():
        run = JobRun.objects.select_for_update().filter(pk=job_run_id).first()
        if run is None or run.status != JobRun.Status.FAILED:
            raise NotFound(gettext("任务不存在或未失败"))
        JobRun.objects.filter(pk=run.pk).update(
            status=JobRun.Status.QUEUED, attempts=0, next_attempt_at=None, finished_at=None
        )
        record(actor=actor, action="scheduling.job.retried", obj=run,
               company_id=run.company_id, changes={"name": run.name, "error": run.last_error[-500:]})
        enqueue(run_job, run.pk)
    run.refresh_from_db()
    return run


def reap_stuck_tasks(now: datetime, *, older_than: timedelta = STUCK_AFTER) -> int:
    """Put django-tasks-db results left RUNNING by a crashed worker back to READY.

    django-tasks-db has no heartbeat: a RUNNING row older than `older_than` is taken as
    orphaned. Jobs must therefore be idempotent (a very slow live task could run twice).
    """
    if "django_tasks_db" not in settings.INSTALLED_APPS:
        return 0
    from django.tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lt=now - older_than
    ).update(status=TaskResultStatus.READY, started_at=None)


# --- the tick -----------------------------------------------------------------------------------


def run_scheduler_tick(*, now: datetime | None = None) -> dict[str, int]:
    """One pass of everything time-driven: timers, rules, retries and sweeps, the reaper.

    Safe to run in several processes at once. Each part is isolated: one failing sweep is
    logged and the rest still run.
    """
    now = now or clock.now()
    counts: dict[str, int] = {}
    parts: list[tuple[str, Any]] = [
        ("timers", lambda: fire_due_timers(now=now)),
        ("rules", lambda: fire_due_rules(now=now)),
        ("job_retries", lambda: requeue_due_jobs(now)),
        *((name, (lambda sweep=sweep: sweep(now))) for name, sweep in registry.sweeps.items()),
        ("reaped", lambda: reap_stuck_tasks(now)),
    ]
    for name, part in parts:
        try:
            counts[name] = int(part())
        except Exception:  # noqa: BLE001  (one broken part must not stop the others)
            logger.exception("scheduler part %s failed", name)
            counts[name] = -1
    return counts


def _require_system_admin(actor: User) -> None:
    if not has_role(actor, RoleAssignment.Role.SYSTEM_ADMIN):
        raise Forbidden(gettext("只有系统管理员可以重试任务"))


def _describe(error: BaseException) -> str:
    text = "".join(traceback.format_exception(error))
    return text[-4000:]
