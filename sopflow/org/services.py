"""Use cases that change the organisation. Each is one transaction with its audit row.

Callers pass an explicit `actor`; permission checks happen here (via `access`) so web, API,
imports and commands share them. Failures raise `sopflow.core.errors` types with Chinese messages.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from sopflow.audit.services import diff, record
from sopflow.core.clock import clock
from sopflow.core.errors import Conflict, Forbidden, ValidationFailed

from . import access
from .models import Company, Department, Position, RoleAssignment, User

EMPLOYEE_FIELDS = ("employee_no", "name", "phone", "email", "department", "position", "manager",
                   "title", "hired_on", "language")


def create_company(*, actor: User | None, name: str, code: str, short_name: str = "",
                   parent: Company | None = None) -> Company:
    """Create a company (or a subsidiary under `parent`). Only system admins (or setup code)."""
    with transaction.atomic():
        if actor is not None and not access.can_manage_roles(actor, None):
            raise Forbidden(gettext("只有系统管理员可以新建公司"))
        if Company.objects.filter(code=code).exists() or Company.objects.filter(name=name).exists():
            raise ValidationFailed(gettext("公司名称或编码已存在"), field="code")
        company = Company.objects.create(name=name, code=code, short_name=short_name, parent=parent)
        record(actor=actor, action="org.company.created", obj=company,
               changes={"name": name, "code": code, "parent": parent.pk if parent else None})
    return company


def create_department(*, actor: User | None, company: Company, name: str, code: str,
                      parent: Department | None = None, sort_order: int = 0,
                      heads: list[User] | None = None) -> Department:
    """Add a department. Codes are unique per company; the parent must be in the same company."""
    with transaction.atomic():
        _require_manage(actor, company)
        name, code = _clean_text(name, "name", gettext("部门名称")), _clean_text(code, "code", gettext("部门编码"))
        if parent is not None and parent.company_id != company.pk:
            raise ValidationFailed(gettext("上级部门必须属于同一公司"), field="parent")
        if Department.objects.filter(company=company, code=code).exists():
            raise ValidationFailed(gettext("部门编码“%(code)s”已存在") % {"code": code}, field="code")
        department = Department.objects.create(company=company, parent=parent, name=name, code=code,
                                               sort_order=sort_order)
        if heads:
            _check_same_company(heads, company, "heads")
            department.heads.set(heads)
        record(actor=actor, action="org.department.created", obj=department, changes={
            "name": name, "code": code, "parent": parent.pk if parent else None,
            "heads": [h.pk for h in heads or []]})
    return department


def update_department(*, actor: User | None, department: Department, name: str | None = None,
                      code: str | None = None, parent: Department | None | bool = False,
                      sort_order: int | None = None, heads: list[User] | None = None) -> Department:
    """Rename, re-code, move (``parent=None`` makes it a root) or change heads.

    Moving a department under itself or one of its descendants is refused.
    """
    with transaction.atomic():
        department = Department.objects.select_for_update().get(pk=department.pk)
        _require_manage(actor, department.company)
        before = _department_snapshot(department)
        if name is not None:
            department.name = _clean_text(name, "name", gettext("部门名称"))
        if code is not None:
            code = _clean_text(code, "code", gettext("部门编码"))
            if Department.objects.filter(company_id=department.company_id, code=code).exclude(
                    pk=department.pk).exists():
                raise ValidationFailed(gettext("部门编码“%(code)s”已存在") % {"code": code}, field="code")
            department.code = code
        if parent is not False:
            new_parent = parent if isinstance(parent, Department) else None
            if new_parent is not None:
                if new_parent.company_id != department.company_id:
                    raise ValidationFailed(gettext("上级部门必须属于同一公司"), field="parent")
                from .queries import descendant_ids

                if new_parent.pk in descendant_ids(department):
                    raise ValidationFailed(gettext("不能把部门移动到它自己或它的下级部门之下"), field="parent")
            department.parent = new_parent
        if sort_order is not None:
            department.sort_order = sort_order
        department.save()
        if heads is not None:
            _check_same_company(heads, department.company, "heads")
            department.heads.set(heads)
        changes = diff(before, _department_snapshot(department))
        if changes:
            action = "org.department.moved" if "parent" in changes else "org.department.updated"
            record(actor=actor, action=action, obj=department, changes=changes)
    return department


def set_department_active(*, actor: User | None, department: Department, is_active: bool) -> Department:
    """Disable or re-enable a department. Disabling needs it empty of active people and sub-departments."""
    with transaction.atomic():
        department = Department.objects.select_for_update().get(pk=department.pk)
        _require_manage(actor, department.company)
        if department.is_active == is_active:
            return department
        if not is_active:
            if department.members.filter(is_active=True).exists():
                raise ValidationFailed(gettext("部门下还有在职员工，请先调出后再停用"), field="is_active")
            if department.children.filter(is_active=True).exists():
                raise ValidationFailed(gettext("部门下还有启用的子部门，请先停用子部门"), field="is_active")
        elif department.parent is not None and not department.parent.is_active:
            raise ValidationFailed(gettext("上级部门已停用，请先启用上级部门"), field="is_active")
        department.is_active = is_active
        department.save(update_fields=["is_active", "updated_at"])
        record(actor=actor, action="org.department.enabled" if is_active else "org.department.disabled",
               obj=department, changes={"is_active": [not is_active, is_active]})
    return department


def create_position(*, actor: User | None, company: Company, name: str, code: str,
                    responsibilities: str = "") -> Position:
    with transaction.atomic():
        _require_manage(actor, company)
        name, code = _clean_text(name, "name", gettext("岗位名称")), _clean_text(code, "code", gettext("岗位编码"))
        if Position.objects.filter(company=company, code=code).exists():
            raise ValidationFailed(gettext("岗位编码“%(code)s”已存在") % {"code": code}, field="code")
        position = Position.objects.create(company=company, name=name, code=code,
                                           responsibilities=responsibilities)
        record(actor=actor, action="org.position.created", obj=position,
               changes={"name": name, "code": code})
    return position


def update_position(*, actor: User | None, position: Position, name: str | None = None,
                    responsibilities: str | None = None, is_active: bool | None = None) -> Position:
    with transaction.atomic():
        position = Position.objects.select_for_update().get(pk=position.pk)
        _require_manage(actor, position.company)
        before = {"name": position.name, "responsibilities": position.responsibilities,
                  "is_active": position.is_active}
        if name is not None:
            position.name = _clean_text(name, "name", gettext("岗位名称"))
        if responsibilities is not None:
            position.responsibilities = responsibilities
        if is_active is not None:
            position.is_active = is_active
        position.save()
        after = {"name": position.name, "responsibilities": position.responsibilities,
                 "is_active": position.is_active}
        changes = diff(before, after)
        if changes:
            record(actor=actor, action="org.position.updated", obj=position, changes=changes)
    return position


def create_employee(*, actor: User | None, company: Company, employee_no: str, name: str,
                    password: str | None = None, phone: str | None = None, email: str | None = None,
                    department: Department | None = None, position: Position | None = None,
                    manager: User | None = None, title: str = "", hired_on: date | None = None,
                    secondary_departments: list[Department] | None = None,
                    language: str = User.Language.ZH_HANS) -> User:
    """Add an employee. Without a password the account cannot sign in until an admin sets one."""
    with transaction.atomic():
        _require_manage(actor, company)
        values = _clean_employee_values(company, {
            "employee_no": employee_no, "name": name, "phone": phone, "email": email,
            "department": department, "position": position, "manager": manager, "title": title,
            "hired_on": hired_on, "language": language}, existing=None)
        user = User(company=company, **values)
        if password:
            _validate_password(password, user)
            user.set_password(password)
        else:
            user.set_unusable_password()
        _save_user(user)
        if secondary_departments:
            _check_same_company(secondary_departments, company, "secondary_departments")
            user.secondary_departments.set(secondary_departments)
        record(actor=actor, action="org.employee.created", obj=user, changes=_employee_snapshot(user))
    return user


def update_employee(*, actor: User | None, employee: User, changes: dict[str, Any],
                    secondary_departments: list[Department] | None = None) -> User:
    """Change an employee's fields (see EMPLOYEE_FIELDS); managers cannot form a loop."""
    unknown = set(changes) - set(EMPLOYEE_FIELDS)
    if unknown:
        raise ValidationFailed(gettext("不能修改字段：%(unknown)s") % {"unknown": ', '.join(sorted(unknown))})
    with transaction.atomic():
        employee = User.objects.select_for_update().get(pk=employee.pk)
        company = _company_of(employee)
        _require_manage(actor, company)
        before = _employee_snapshot(employee)
        merged = {name: getattr(employee, name) for name in EMPLOYEE_FIELDS} | changes
        values = _clean_employee_values(company, merged, existing=employee)
        for field_name, value in values.items():
            setattr(employee, field_name, value)
        _save_user(employee)
        if secondary_departments is not None:
            _check_same_company(secondary_departments, company, "secondary_departments")
            employee.secondary_departments.set(secondary_departments)
        delta = diff(before, _employee_snapshot(employee))
        if delta:
            record(actor=actor, action="org.employee.updated", obj=employee, changes=delta)
    return employee


def set_employee_active(*, actor: User | None, employee: User, is_active: bool) -> User:
    """Disable (离职) or re-enable an employee. History, tasks and audit rows stay untouched;
    a disabled person can no longer sign in and their API tokens stop working at once."""
    with transaction.atomic():
        employee = User.objects.select_for_update().get(pk=employee.pk)
        _require_manage(actor, _company_of(employee))
        if actor is not None and actor.pk == employee.pk and not is_active:
            raise ValidationFailed(gettext("不能停用自己的账号"))
        if employee.is_active == is_active:
            return employee
        employee.is_active = is_active
        employee.disabled_at = None if is_active else clock.now()
        employee.save(update_fields=["is_active", "disabled_at", "updated_at"])
        record(actor=actor, action="org.employee.enabled" if is_active else "org.employee.disabled",
               obj=employee, changes={"is_active": [not is_active, is_active]})
    return employee


def set_password(*, actor: User, employee: User, new_password: str,
                 old_password: str | None = None) -> None:
    """Change one's own password (needs the old one) or reset another's (needs HR/system admin)."""
    with transaction.atomic():
        employee = User.objects.select_for_update().get(pk=employee.pk)
        if actor.pk == employee.pk:
            if old_password is None or not employee.check_password(old_password):
                raise ValidationFailed(gettext("原密码不正确"), field="old_password")
            action = "accounts.password.changed"
        else:
            _require_manage(actor, _company_of(employee))
            action = "accounts.password.reset"
        _validate_password(new_password, employee, field="new_password")
        employee.set_password(new_password)
        employee.save(update_fields=["password", "updated_at"])
        record(actor=actor, action=action, obj=employee, changes={})


def set_language(*, actor: User, language: str) -> User:
    if language not in User.Language.values:
        raise ValidationFailed(gettext("不支持的语言"), field="language")
    with transaction.atomic():
        before = actor.language
        User.objects.filter(pk=actor.pk).update(language=language)
        actor.language = language
        if before != language:
            record(actor=actor, action="accounts.language.changed", obj=actor,
                   changes={"language": [before, language]})
    return actor


def assign_role(*, actor: User | None, user: User, role: str, company: Company | None = None,
                department: Department | None = None) -> RoleAssignment:
    """Grant a role (scoped to a company or department, or global). Needs a system admin."""
    if role not in RoleAssignment.Role.values:
        raise ValidationFailed(gettext("未知角色"), field="role")
    if department is not None:
        company = department.company
    with transaction.atomic():
        if actor is not None and not access.can_manage_roles(actor, company):
            raise Forbidden(gettext("只有系统管理员可以授予角色"))
        grant, created = RoleAssignment.objects.get_or_create(
            user=user, role=role, company=company, department=department)
        if created:
            record(actor=actor, action="org.role.assigned", obj=user, changes={
                "role": role, "company": company.pk if company else None,
                "department": department.pk if department else None})
    return grant


def revoke_role(*, actor: User | None, grant: RoleAssignment) -> None:
    with transaction.atomic():
        if actor is not None and not access.can_manage_roles(actor, grant.company):
            raise Forbidden(gettext("只有系统管理员可以撤销角色"))
        record(actor=actor, action="org.role.revoked", obj=grant.user, changes={
            "role": grant.role, "company": grant.company_id, "department": grant.department_id})
        grant.delete()


# --- helpers -------------------------------------------------------------------------------

def _require_manage(actor: User | None, company: Company) -> None:
    if actor is not None and not access.can_manage_org(actor, company):
        raise Forbidden(gettext("只有人事管理员或系统管理员可以修改组织架构"))


def _company_of(employee: User) -> Company:
    if employee.company is None:
        raise Forbidden(gettext("不属于任何公司的账号只能由系统管理员在后台维护"))
    return employee.company


def _clean_text(value: str, field: str, label: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(gettext("请填写%(label)s") % {"label": label}, field=field)
    return value


def _check_same_company(items: list[Any], company: Company, field: str) -> None:
    if any(item.company_id != company.pk for item in items):
        raise ValidationFailed(gettext("所选对象必须属于同一公司"), field=field)


def _clean_employee_values(company: Company, values: dict[str, Any], *,
                           existing: User | None) -> dict[str, Any]:
    values = dict(values)
    values["employee_no"] = _clean_text(values["employee_no"], "employee_no", gettext("工号"))
    values["name"] = _clean_text(values["name"], "name", gettext("姓名"))
    values["phone"] = (values.get("phone") or "").strip() or None
    values["email"] = (values.get("email") or "").strip().lower() or None
    values["title"] = (values.get("title") or "").strip()
    others = User.objects.exclude(pk=existing.pk) if existing else User.objects.all()
    if others.filter(employee_no=values["employee_no"]).exists():
        raise ValidationFailed(gettext("工号“%(employee_no)s”已被使用") % {"employee_no": values['employee_no']}, field="employee_no")
    if values["phone"] and others.filter(phone=values["phone"]).exists():
        raise ValidationFailed(gettext("手机号“%(phone)s”已被使用") % {"phone": values['phone']}, field="phone")
    if values["email"] and others.filter(email__iexact=values["email"]).exists():
        raise ValidationFailed(gettext("邮箱“%(email)s”已被使用") % {"email": values['email']}, field="email")
    if values["phone"] and not (values["phone"].isdigit() and 6 <= len(values["phone"]) <= 20):
        raise ValidationFailed(gettext("手机号只能包含数字（6–20 位）"), field="phone")
    for field in ("department", "position", "manager"):
        item = values.get(field)
        if item is not None and item.company_id != company.pk:
            raise ValidationFailed(gettext("部门、岗位和直属上级必须属于同一公司"), field=field)
    manager = values.get("manager")
    if manager is not None and existing is not None:
        seen = {existing.pk}
        current: User | None = manager
        while current is not None:
            if current.pk in seen:
                raise ValidationFailed(gettext("直属上级不能形成循环（不能是自己或自己的下属）"), field="manager")
            seen.add(current.pk)
            current = current.manager
    if values.get("language") not in User.Language.values:
        values["language"] = User.Language.ZH_HANS
    return values


def _save_user(user: User) -> None:
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as error:  # a concurrent writer took the same number first
        raise Conflict(gettext("工号、手机号或邮箱已被其他人同时使用，请重试")) from error


def _validate_password(password: str, user: User, field: str = "password") -> None:
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationFailed("；".join(error.messages), field=field) from error


def _department_snapshot(department: Department) -> dict[str, Any]:
    return {"name": department.name, "code": department.code, "parent": department.parent_id,
            "sort_order": department.sort_order,
            "heads": sorted(department.heads.values_list("pk", flat=True))}


def _employee_snapshot(user: User) -> dict[str, Any]:
    return {
        "employee_no": user.employee_no, "name": user.name, "phone": user.phone, "email": user.email,
        "department": user.department_id, "position": user.position_id, "manager": user.manager_id,
        "title": user.title, "hired_on": user.hired_on.isoformat() if user.hired_on else None,
        "language": user.language,
        "secondary_departments": sorted(user.secondary_departments.values_list("pk", flat=True)),
    }
