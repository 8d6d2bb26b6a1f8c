"""Error-driven retraining: rules per template ("3 returns or rejections with reason category
电子发票未上传 within 30 days → assign course X, optionally suspend its certificate"), the
`record_error` entry point, and the sweep that feeds it from the workflow's event rows.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.apps import apps
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext

from sopflow.audit.services import record
from sopflow.core.clock import clock
from sopflow.core.errors import Forbidden, NotFound, ValidationFailed
from sopflow.form_templates import access as template_access
from sopflow.form_templates.models import FormTemplate
from sopflow.notify.services import notify
from sopflow.org.models import User

from .. import access, queries
from ..models import (
    Assignment,
    Certificate,
    Course,
    ErrorRecord,
    RetrainingRule,
    RuleTrigger,
    SweepCursor,
)
from .assignments import give

ERROR_DAYS_TO_FINISH = 7
# Task-level events: one per decision (the instance-level "returned" would count twice).
WORKFLOW_VERBS = {"workflow.task.returned": ErrorRecord.Kind.RETURNED,
                  "workflow.task.rejected": ErrorRecord.Kind.REJECTED}
CURSOR = "training.workflow_errors"


def save_rule(*, actor: User, template_id: int, reason_category: str, course_id: int,
              threshold: int = 3, window_days: int = 30, suspend_certificate: bool = False,
              rule_id: int | None = None, is_active: bool = True) -> RetrainingRule:
    """Create or change a retraining rule of a template (training managers)."""
    with transaction.atomic():
        template = template_access.get_template_for(actor, template_id, "view")
        if not access.can_manage_training(actor, template.company):
            raise Forbidden(gettext("只有人事管理员或流程管理员可以设置复训规则"))
        course = access.get_course_for(actor, course_id, "manage")
        if not reason_category.strip():
            raise ValidationFailed(gettext("请填写退回/驳回原因"), field="reason_category")
        if threshold < 1 or window_days < 1:
            raise ValidationFailed(gettext("次数和天数至少为 1"), field="threshold")
        rule = (RetrainingRule.objects.filter(pk=rule_id, company=template.company).first()
                if rule_id else RetrainingRule(company=template.company))
        if rule is None:
            raise NotFound(gettext("规则不存在"))
        rule.template, rule.course = template, course
        rule.reason_category, rule.threshold = reason_category.strip(), threshold
        rule.window_days, rule.suspend_certificate = window_days, suspend_certificate
        rule.is_active = is_active
        rule.save()
        record(actor=actor, action="training.rule.saved", obj=rule,
               changes={"template": template.pk, "reason": rule.reason_category,
                        "threshold": threshold, "window_days": window_days,
                        "course": course.pk, "suspend": suspend_certificate})
    return rule


def record_error(*, user: User, template: FormTemplate, reason_category: str, kind: str,
                 at: datetime, source_key: str | None = None) -> list[RuleTrigger]:
    """A submission of `user` was returned or rejected for `reason_category`. Records it (once
    per `source_key`) and fires every matching rule whose threshold is reached within its
    window, counting only errors after the rule last fired for the person."""
    with transaction.atomic():
        if source_key and ErrorRecord.objects.filter(source_key=source_key).exists():
            return []
        ErrorRecord.objects.create(user=user, template=template, kind=kind, occurred_at=at,
                                   reason_category=reason_category, source_key=source_key)
        fired: list[RuleTrigger] = []
        rules = RetrainingRule.objects.filter(template=template, is_active=True,
                                              reason_category=reason_category
                                              ).select_related("course", "template")
        for rule in rules:
            trigger = _evaluate(rule, user, at)
            if trigger is not None:
                fired.append(trigger)
    return fired


def ingest_workflow_errors(*, now: datetime, batch: int = 500) -> int:
    """Sweep: read workflow events after the stored cursor; every task return or rejection
    with a reason category becomes `record_error` for the item's initiator. Idempotent (the
    cursor, and a source key per event)."""
    try:
        event_model: Any = apps.get_model("workflow", "InstanceEvent")
    except LookupError:  # workflow app not installed yet
        return 0
    handled = 0
    with transaction.atomic():
        cursor, _ = SweepCursor.objects.select_for_update().get_or_create(name=CURSOR)
        events = list(event_model.objects.filter(pk__gt=cursor.position).select_related(
            "instance__initiator", "instance__template").order_by("pk")[:batch])
        for event in events:
            kind = WORKFLOW_VERBS.get(event.verb)
            category = str((event.payload or {}).get("reason") or "")
            if kind is not None and category:
                record_error(user=event.instance.initiator, template=event.instance.template,
                             reason_category=category, kind=kind, at=event.at,
                             source_key=f"workflow.event:{event.pk}")
                handled += 1
        if events:
            cursor.position = events[-1].pk
            cursor.save(update_fields=["position"])
    return handled


def _evaluate(rule: RetrainingRule, user: User, at: datetime) -> RuleTrigger | None:
    since = at - timedelta(days=rule.window_days)
    last = RuleTrigger.objects.filter(rule=rule, user=user).aggregate(top=Max("triggered_at"))
    if last["top"] is not None and last["top"] > since:
        since = last["top"]
    count = ErrorRecord.objects.filter(
        user=user, template=rule.template, reason_category=rule.reason_category,
        occurred_at__gt=since, occurred_at__lte=at).count()
    if count < rule.threshold:
        return None
    course: Course = rule.course
    why = (f"近 {rule.window_days} 天内“{rule.template.name}”因“{rule.reason_category}”"
           f"被退回或驳回 {count} 次")
    assignment = give(course=course, user=user, reason=Assignment.Reason.ERRORS,
                      due_at=clock.now() + timedelta(days=ERROR_DAYS_TO_FINISH), actor=None,
                      note=why, notify_user=False)
    suspended = 0
    if rule.suspend_certificate:
        suspended = Certificate.objects.filter(course=course, user=user,
                                               status=Certificate.Status.ACTIVE).update(
            status=Certificate.Status.SUSPENDED, suspended_reason=why[:300])
    trigger = RuleTrigger.objects.create(rule=rule, user=user, triggered_at=at,
                                         error_count=count, assignment=assignment)
    suffix = "，证书已暂停，通过考试后恢复" if suspended else ""
    notify(recipients=[user], kind="training.retraining",
           title=f"需要重新学习《{course.title}》",
           body=f"{why}，已为你安排复训{suffix}。", link=queries.course_link(course.pk),
           company=course.company)
    if user.manager is not None:
        notify(recipients=[user.manager], kind="training.retraining",
               title=f"{user.name} 需要重新学习《{course.title}》",
               body=f"{why}，系统已安排复训{suffix}。", link=queries.team_link(),
               company=course.company)
    record(actor=None, action="training.rule.triggered", obj=rule,
           changes={"user": user.pk, "errors": count, "course": course.pk,
                    "suspended": bool(suspended),
                    "assignment": assignment.pk if assignment else None},
           company_id=rule.company_id)
    return trigger
