"""Who must take which course: manual assignments (people, positions, departments, roles),
onboarding programmes by position (a sweep gives them to new holders on day one), yearly
recertification and expiry reminders (a sweep), re-assignment when an SOP version requires
retraining (a publish hook), and gate exemptions.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from sopflow.audit.services import record
from sopflow.core.clock import clock
from sopflow.core.errors import Forbidden, NotFound, ValidationFailed
from sopflow.form_templates import access as template_access
from sopflow.form_templates.models import TemplateVersion
from sopflow.notify.services import notify
from sopflow.org.models import Company, Department, Position, RoleAssignment, User
from sopflow.org.queries import descendant_ids

from .. import access, queries
from ..models import (
    Assignment,
    Certificate,
    Course,
    Exemption,
    OnboardingProgramme,
    ProgrammeCourse,
    ProgrammeEnrollment,
)

SOP_CHANGE_DAYS = 14
RECERTIFY_DAYS_BEFORE = 30
RECERTIFY_LATE_DAYS = 7  # already expired when the sweep ran: recertify within a week


def assign_course(
    *, actor: User, course_id: int, user_ids: Iterable[int] = (),
    position_ids: Iterable[int] = (), department_ids: Iterable[int] = (),
    roles: Iterable[str] = (), due_at: datetime | None = None, note: str = "",
) -> list[Assignment]:
    """Assign a course to people, everyone in positions, departments (with sub-departments) or
    roles. People who already have an open assignment of the course are left alone."""
    with transaction.atomic():
        course = access.get_course_for(actor, course_id, "manage")
        people = targets(course.company, user_ids=user_ids, position_ids=position_ids,
                         department_ids=department_ids, roles=roles)
        if not people:
            raise ValidationFailed(gettext("没有找到要分配的员工"))
        created = [found for person in people if (found := give(
            course=course, user=person, reason=Assignment.Reason.MANUAL, due_at=due_at,
            actor=actor, note=note)) is not None]
        record(actor=actor, action="training.course.assigned", obj=course,
               changes={"people": len(people), "created": len(created), "due_at": due_at,
                        "positions": list(position_ids), "departments": list(department_ids),
                        "roles": list(roles)})
    return created


def cancel_assignment(*, actor: User, assignment_id: int) -> Assignment:
    with transaction.atomic():
        assignment = Assignment.objects.select_related("course").filter(pk=assignment_id).first()
        if assignment is None:
            raise NotFound(gettext("培训任务不存在"))
        access.get_course_for(actor, assignment.course_id, "manage")
        _ensure_transition(assignment.status, Assignment.Status.CANCELLED)
        assignment.status = Assignment.Status.CANCELLED
        assignment.save(update_fields=["status"])
        record(actor=actor, action="training.assignment.cancelled", obj=assignment,
               changes={"user": assignment.user_id, "course": assignment.course_id})
    return assignment


def give(*, course: Course, user: User, reason: str, due_at: datetime | None,
         actor: User | None, note: str = "", order: int = 0,
         notify_user: bool = True) -> Assignment | None:
    """One assignment (inside the caller's transaction), or None when one is already open."""
    if Assignment.objects.filter(course=course, user=user,
                                 status=Assignment.Status.OPEN).exists():
        return None
    try:
        with transaction.atomic():
            assignment = Assignment.objects.create(
                course=course, user=user, reason=reason, due_at=due_at, note=note[:300],
                assigned_at=clock.now(), assigned_by=actor, order=order)
    except IntegrityError:  # a concurrent sweep assigned it first
        return None
    record(actor=actor, action="training.assignment.created", obj=assignment,
           changes={"course": course.pk, "user": user.pk, "reason": reason, "due_at": due_at},
           company_id=course.company_id)
    if notify_user:
        due = f"，请在 {queries.local_date(due_at)} 前完成" if due_at else ""
        notify(recipients=[user], kind="training.assigned", title=f"新的培训：《{course.title}》",
               body=f"{Assignment.Reason(reason).label}{('：' + note) if note else ''}{due}。",
               link=queries.course_link(course.pk), actor=actor, company=course.company)
    return assignment


def save_programme(
    *, actor: User | None, position_id: int, name: str, within_days: int,
    course_ids: list[int], assign_current_holders: bool = False,
    company: Company | None = None,
) -> OnboardingProgramme:
    """The onboarding programme of a position (ordered courses, finish within N days).
    Current holders get it only with `assign_current_holders`; later holders (new hires and
    people moving into the position) get it from the onboarding sweep."""
    position = Position.objects.filter(pk=position_id).select_related("company").first()
    if position is None or (actor is not None and position.company_id != actor.company_id):
        raise NotFound(gettext("岗位不存在"))
    if actor is not None and not access.can_manage_training(actor, position.company):
        raise Forbidden(gettext("只有人事管理员或流程管理员可以管理培训计划"))
    if within_days < 1:
        raise ValidationFailed(gettext("完成期限至少 1 天"), field="within_days")
    courses = {c.pk: c for c in Course.objects.filter(company=position.company, pk__in=course_ids)}
    if len(courses) != len(set(course_ids)) or not courses:
        raise ValidationFailed(gettext("请选择课程"), field="courses")
    with transaction.atomic():
        programme, created = OnboardingProgramme.objects.update_or_create(
            position=position, defaults={"company": position.company, "name": name.strip()
                                         or f"{position.name}入职培训", "within_days": within_days})
        programme.items.all().delete()
        ProgrammeCourse.objects.bulk_create([
            ProgrammeCourse(programme=programme, course=courses[pk], order=index)
            for index, pk in enumerate(dict.fromkeys(course_ids))])
        if created and not assign_current_holders:
            now = clock.now()
            ProgrammeEnrollment.objects.bulk_create([
                ProgrammeEnrollment(programme=programme, user=holder, enrolled_at=now,
                                    is_assigned=False)
                for holder in User.objects.filter(position=position, is_active=True)],
                ignore_conflicts=True)
        record(actor=actor, action="training.programme.saved", obj=programme,
               changes={"position": position.pk, "courses": course_ids,
                        "within_days": within_days}, company_id=position.company_id)
    return programme


def enroll_new_hires(*, now: datetime) -> int:
    """Sweep: give each active holder of a position with a programme, from their first day
    (`hired_on`), the programme's courses in order, due within N days. Idempotent: one
    enrollment per person and programme, claimed before anything is assigned."""
    today = queries.local_date(now)
    given = 0
    for programme in OnboardingProgramme.objects.select_related("company").prefetch_related(
            "items__course"):
        enrolled = ProgrammeEnrollment.objects.filter(programme=programme).values("user_id")
        newcomers = User.objects.filter(position_id=programme.position_id, is_active=True,
                                        company_id=programme.company_id).exclude(
            pk__in=enrolled).exclude(hired_on__gt=today)
        for person in newcomers:
            with transaction.atomic():
                _, claimed = ProgrammeEnrollment.objects.get_or_create(
                    programme=programme, user=person, defaults={"enrolled_at": now})
                if not claimed:
                    continue
                due_at = now + timedelta(days=programme.within_days)
                for item in programme.items.all():
                    if queries.has_valid_certificate(person, item.course, now):
                        continue
                    if give(course=item.course, user=person, reason=Assignment.Reason.ONBOARDING,
                            due_at=due_at, actor=None, note=programme.name,
                            order=item.order) is not None:
                        given += 1
                record(actor=None, action="training.programme.enrolled", obj=programme,
                       changes={"user": person.pk, "due_at": due_at},
                       company_id=programme.company_id)
    return given


def run_certificate_sweep(*, now: datetime) -> int:
    """Sweep: reminders 30 and 7 days before a certificate expires (each claimed with a
    conditional update, so a second tick sends nothing), and the recertification assignment
    (due on the expiry date) from 30 days before."""
    done = 0
    soon = Certificate.objects.filter(status=Certificate.Status.ACTIVE, expires_at__gt=now,
                                      expires_at__lte=now + timedelta(days=30)).select_related(
        "course__company", "user")
    for certificate in soon:
        with transaction.atomic():
            left = certificate.expires_at - now
            column = "reminded_7_at" if left <= timedelta(days=7) else "reminded_30_at"
            claimed = Certificate.objects.filter(pk=certificate.pk, **{f"{column}__isnull": True}
                                                 ).update(**{column: now})
            if claimed:
                days = 7 if column == "reminded_7_at" else 30
                notify(recipients=[certificate.user], kind="training.expiring",
                       title=f"证书《{certificate.course.title}》将于 "
                             f"{queries.local_date(certificate.expires_at)} 到期",
                       body=f"还有不到 {days} 天，请完成复训考试，否则到期后不能发起相关表单。",
                       link=queries.course_link(certificate.course_id),
                       company=certificate.course.company)
                record(actor=None, action="training.certificate.reminded", obj=certificate,
                       changes={"days": days}, company_id=certificate.course.company_id)
                done += 1
            if left <= timedelta(days=RECERTIFY_DAYS_BEFORE) and give(
                    course=certificate.course, user=certificate.user,
                    reason=Assignment.Reason.RECERTIFICATION, due_at=certificate.expires_at,
                    actor=None, note="证书即将到期", notify_user=not claimed) is not None:
                done += 1
    return done + _recertify_expired(now)


def _recertify_expired(now: datetime) -> int:
    """Certificates that expired without a recertification assignment (the sweep did not run
    in the 30 days before, or the certificate was issued with less than that left): assign
    it now, due in a week. One per expiry: a recertification given since the certificate was
    last issued (open, done or cancelled) is not repeated."""
    done = 0
    expired = (Certificate.objects.filter(status=Certificate.Status.ACTIVE, expires_at__lte=now,
                                          course__is_active=True, user__is_active=True)
               .select_related("course__company", "user"))
    for certificate in expired:
        if Assignment.objects.filter(course=certificate.course, user=certificate.user,
                                     reason=Assignment.Reason.RECERTIFICATION,
                                     assigned_at__gte=certificate.issued_at).exists():
            continue
        with transaction.atomic():
            if give(course=certificate.course, user=certificate.user,
                    reason=Assignment.Reason.RECERTIFICATION,
                    due_at=now + timedelta(days=RECERTIFY_LATE_DAYS), actor=None,
                    note=f"证书已于 {queries.local_date(certificate.expires_at)} 过期") is not None:
                done += 1
    return done


def reassign_after_sop_change(actor: User | None, version: TemplateVersion) -> int:
    """Publish hook: a version marked "requires retraining" re-assigns every course linked to
    its template to everyone holding that course's certificate (runs in publish's transaction)."""
    count = 0
    now = clock.now()
    for course in Course.objects.filter(templates=version.template_id, is_active=True):
        holders = User.objects.filter(training_certificates__course=course, is_active=True)
        for holder in holders:
            if give(course=course, user=holder, reason=Assignment.Reason.SOP_CHANGED,
                    due_at=now + timedelta(days=SOP_CHANGE_DAYS), actor=actor,
                    note=f"“{version.template.name}”v{version.number} 已更新："
                         f"{version.change_summary}") is not None:
                count += 1
        record(actor=actor, action="training.course.reassigned", obj=course,
               changes={"version": version.pk, "number": version.number, "assigned": count},
               company_id=course.company_id)
    return count


def grant_exemption(*, actor: User, template_id: int, user_id: int, reason: str,
                    expires_at: datetime) -> Exemption:
    """Let one person start and submit a gated template without the certificate until
    `expires_at` (at most 90 days). Process admins only; a reason is required; audited."""
    with transaction.atomic():
        template = template_access.get_template_for(actor, template_id, "view")
        if not access.can_grant_exemption(actor, template.company):
            raise Forbidden(gettext("只有流程管理员可以授予豁免"))
        person = User.objects.filter(pk=user_id, company_id=template.company_id).first()
        if person is None:
            raise NotFound(gettext("员工不存在"))
        if not reason.strip():
            raise ValidationFailed(gettext("请填写豁免原因"), field="reason")
        now = clock.now()
        if not now < expires_at <= now + timedelta(days=90):
            raise ValidationFailed(gettext("豁免有效期应在 90 天以内"), field="expires_at")
        exemption = Exemption.objects.create(template=template, user=person,
                                             reason=reason.strip(), granted_by=actor,
                                             granted_at=now, expires_at=expires_at)
        record(actor=actor, action="training.exemption.granted", obj=exemption,
               changes={"template": template.pk, "user": person.pk, "reason": reason.strip(),
                        "expires_at": expires_at}, company_id=template.company_id)
    return exemption


def revoke_exemption(*, actor: User, exemption_id: int) -> Exemption:
    with transaction.atomic():
        exemption = Exemption.objects.select_related("template__company").filter(
            pk=exemption_id).first()
        if exemption is None or not access.can_grant_exemption(actor, exemption.template.company):
            raise NotFound(gettext("豁免不存在"))
        exemption.revoked_at = clock.now()
        exemption.save(update_fields=["revoked_at"])
        record(actor=actor, action="training.exemption.revoked", obj=exemption,
               changes={"user": exemption.user_id})
    return exemption


def targets(company: Company, *, user_ids: Iterable[int] = (), position_ids: Iterable[int] = (),
            department_ids: Iterable[int] = (), roles: Iterable[str] = ()) -> list[User]:
    """Active people of the company named directly or through position, department or role."""
    people = User.objects.filter(company=company, is_active=True)
    found: dict[int, User] = {u.pk: u for u in people.filter(pk__in=list(user_ids))}
    found |= {u.pk: u for u in people.filter(position_id__in=list(position_ids))}
    departments: set[int] = set()
    for department in Department.objects.filter(company=company, pk__in=list(department_ids)):
        departments |= descendant_ids(department)
    found |= {u.pk: u for u in people.filter(department_id__in=departments)}
    role_list = [role for role in roles if role in RoleAssignment.Role.values]
    if role_list:
        holders = RoleAssignment.objects.filter(role__in=role_list).values("user_id")
        found |= {u.pk: u for u in people.filter(pk__in=holders)}
    return sorted(found.values(), key=lambda user: user.employee_no)


def _ensure_transition(current: str, target: str) -> None:
    if target not in Assignment.ALLOWED.get(Assignment.Status(current), set()):
        raise ValidationFailed(gettext("培训任务%(label)s，不能再修改") % {"label": Assignment.Status(current).label})
