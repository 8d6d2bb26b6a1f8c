"""Org admin pages (HR admins and system admins of the company): departments, positions,
employees, passwords and roles. Each view parses a form and calls one `sopflow.org.services`
function; a DomainError is shown next to its field with status 422."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sopflow.core.errors import Forbidden
from sopflow.org import access, services
from sopflow.org.models import User

from ..forms import (
    DepartmentForm,
    EmployeeForm,
    PasswordResetForm,
    PositionForm,
    RoleForm,
    StyledForm,
)
from ..responses import FORM_ERRORS, chosen_company, org_errors


def _form_page(request: HttpRequest, form: StyledForm, *, title: str, cancel_url: str,
               status: int = 200, submit: str = "", **extra: Any) -> HttpResponse:
    return render(request, "web/org/form_page.html", {
        "form": form, "title": title, "cancel_url": cancel_url, "submit_label": submit or _("保存"),
        **extra}, status=status)


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]  # LoginRequiredMiddleware


# --- departments ---------------------------------------------------------------------------

@org_errors
def department_create(request: HttpRequest) -> HttpResponse:
    company = chosen_company(request, action="manage")
    parent_id = request.GET.get("parent", "")
    form = DepartmentForm(request.POST or None, company=company,
                          initial={"parent": int(parent_id)} if parent_id.isdigit() else None)
    title = _("新建部门")
    if request.method == "POST" and form.is_valid():
        try:
            department = services.create_department(
                actor=_actor(request), company=company, **form.cleaned_data | {
                    "heads": list(form.cleaned_data["heads"])})
        except FORM_ERRORS as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("部门“%(name)s”已创建") % {"name": department.name})
            return redirect("web:org-department", department.pk)
    return _form_page(request, form, title=title, cancel_url=reverse("web:org-chart"),
                      status=422 if form.errors else 200, company=company)


@org_errors
def department_edit(request: HttpRequest, department_id: int) -> HttpResponse:
    department = access.get_department_for(_actor(request), department_id, "manage")
    form = DepartmentForm(request.POST or None, company=department.company, department=department,
                          initial={"name": department.name, "code": department.code,
                                   "parent": department.parent_id, "sort_order": department.sort_order,
                                   "heads": list(department.heads.all())})
    if request.method == "POST" and form.is_valid():
        try:
            services.update_department(
                actor=_actor(request), department=department, **form.cleaned_data | {
                    "heads": list(form.cleaned_data["heads"])})
        except FORM_ERRORS as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("部门已保存"))
            return redirect("web:org-department", department.pk)
    return _form_page(request, form, title=_("编辑部门：%(name)s") % {"name": department.name},
                      cancel_url=reverse("web:org-department", args=[department.pk]),
                      status=422 if form.errors else 200, company=department.company)


@require_POST
@org_errors
def department_set_active(request: HttpRequest, department_id: int) -> HttpResponse:
    department = access.get_department_for(_actor(request), department_id, "manage")
    is_active = request.POST.get("is_active") == "1"
    try:
        services.set_department_active(actor=_actor(request), department=department,
                                       is_active=is_active)
    except FORM_ERRORS as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("部门已启用") if is_active else _("部门已停用"))
    return redirect("web:org-department", department.pk)


# --- positions -----------------------------------------------------------------------------

@org_errors
def position_create(request: HttpRequest) -> HttpResponse:
    company = chosen_company(request, action="manage")
    form = PositionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            position = services.create_position(actor=_actor(request), company=company,
                                                **form.cleaned_data)
        except FORM_ERRORS as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("岗位“%(name)s”已创建") % {"name": position.name})
            return redirect("web:org-position", position.pk)
    return _form_page(request, form, title=_("新建岗位"),
                      cancel_url=reverse("web:org-positions") + f"?company={company.pk}",
                      status=422 if form.errors else 200, company=company)


@org_errors
def position_edit(request: HttpRequest, position_id: int) -> HttpResponse:
    position = access.get_position_for(_actor(request), position_id, "manage")
    form = PositionForm(request.POST or None, editing=True, initial={
        "name": position.name, "responsibilities": position.responsibilities})
    if request.method == "POST" and form.is_valid():
        try:
            services.update_position(actor=_actor(request), position=position, **form.cleaned_data)
        except FORM_ERRORS as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("岗位已保存"))
            return redirect("web:org-position", position.pk)
    return _form_page(request, form, title=_("编辑岗位：%(name)s") % {"name": position.name},
                      cancel_url=reverse("web:org-position", args=[position.pk]),
                      status=422 if form.errors else 200, company=position.company)


@require_POST
@org_errors
def position_set_active(request: HttpRequest, position_id: int) -> HttpResponse:
    position = access.get_position_for(_actor(request), position_id, "manage")
    is_active = request.POST.get("is_active") == "1"
    services.update_position(actor=_actor(request), position=position, is_active=is_active)
    messages.success(request, _("岗位已启用") if is_active else _("岗位已停用"))
    return redirect("web:org-position", position.pk)


# --- employees -----------------------------------------------------------------------------

@org_errors
def person_create(request: HttpRequest) -> HttpResponse:
    company = chosen_company(request, action="manage")
    form = EmployeeForm(request.POST or None, company=company)
    if request.method == "POST" and form.is_valid():
        try:
            person = services.create_employee(
                actor=_actor(request), company=company, password=form.cleaned_data["password"] or None,
                secondary_departments=list(form.cleaned_data["secondary_departments"]),
                **form.employee_changes())
        except FORM_ERRORS as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("员工“%(name)s”已创建") % {"name": person.name})
            return redirect("web:org-person", person.pk)
    return _form_page(request, form, title=_("新建员工"),
                      cancel_url=reverse("web:org-people") + f"?company={company.pk}",
                      status=422 if form.errors else 200, company=company)


@org_errors
def person_edit(request: HttpRequest, person_id: int) -> HttpResponse:
    person = access.get_employee_for(_actor(request), person_id, "manage")
    company = person.company
    initial = {name: getattr(person, name) for name in
               ("employee_no", "name", "phone", "email", "department", "position", "manager",
                "title", "hired_on")}
    initial["secondary_departments"] = list(person.secondary_departments.all())
    form = EmployeeForm(request.POST or None, company=company, employee=person,  # type: ignore[arg-type]  # checked by access
                        initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_employee(
                actor=_actor(request), employee=person, changes=form.employee_changes(),
                secondary_departments=list(form.cleaned_data["secondary_departments"]))
        except FORM_ERRORS as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("员工资料已保存"))
            return redirect("web:org-person", person.pk)
    return _form_page(request, form, title=_("编辑员工：%(name)s") % {"name": person.name},
                      cancel_url=reverse("web:org-person", args=[person.pk]),
                      status=422 if form.errors else 200, company=company)


@require_POST
@org_errors
def person_set_active(request: HttpRequest, person_id: int) -> HttpResponse:
    person = access.get_employee_for(_actor(request), person_id, "manage")
    is_active = request.POST.get("is_active") == "1"
    try:
        services.set_employee_active(actor=_actor(request), employee=person, is_active=is_active)
    except FORM_ERRORS as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("账号已启用") if is_active else _("账号已停用，历史记录全部保留"))
    return redirect("web:org-person", person.pk)


@org_errors
def person_password(request: HttpRequest, person_id: int) -> HttpResponse:
    person = access.get_employee_for(_actor(request), person_id, "manage")
    form = PasswordResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.set_password(actor=_actor(request), employee=person,
                                  new_password=form.cleaned_data["new_password"])
        except FORM_ERRORS as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("已为%(name)s重置密码") % {"name": person.name})
            return redirect("web:org-person", person.pk)
    return _form_page(request, form, title=_("重置密码：%(name)s") % {"name": person.name},
                      cancel_url=reverse("web:org-person", args=[person.pk]),
                      status=422 if form.errors else 200, submit=_("重置密码"),
                      company=person.company)


# --- roles ---------------------------------------------------------------------------------

@org_errors
def role_assign(request: HttpRequest, person_id: int) -> HttpResponse:
    person = access.get_employee_for(_actor(request), person_id)
    company = person.company
    if not access.can_manage_roles(_actor(request), company):
        raise Forbidden(_("只有系统管理员可以授予角色"))
    form = RoleForm(request.POST or None, company=company)  # type: ignore[arg-type]  # checked by access
    if request.method == "POST" and form.is_valid():
        try:
            services.assign_role(actor=_actor(request), user=person, role=form.cleaned_data["role"],
                                 company=company, department=form.cleaned_data["department"])
        except FORM_ERRORS as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("角色已授予"))
            return redirect("web:org-person", person.pk)
    return _form_page(request, form, title=_("授予角色：%(name)s") % {"name": person.name},
                      cancel_url=reverse("web:org-person", args=[person.pk]),
                      status=422 if form.errors else 200, submit=_("授予"), company=company)


@require_POST
@org_errors
def role_revoke(request: HttpRequest, grant_id: int) -> HttpResponse:
    grant = access.get_role_assignment_for(_actor(request), grant_id)
    services.revoke_role(actor=_actor(request), grant=grant)
    messages.success(request, _("角色已撤销"))
    return redirect("web:org-person", grant.user_id)
