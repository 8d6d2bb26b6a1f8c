"""The flow designer pages: the tree, its "+" operations, the node drawer, lint, simulation,
publishing, versions and BPMN. Views parse input, call one designer service, and render.
"""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext
from django.views.decorators.http import require_GET, require_POST

from sopflow.core.errors import DomainError, Forbidden
from sopflow.org.models import Department, Position, User
from sopflow.workflow.design import editing, queries, services
from sopflow.workflow.design.conditions import OperandKind, describe, operands_of
from sopflow.workflow.design.messages import kind_label, operator_label
from sopflow.workflow.design.services import Draft, LintFailed

from ..form_templates.views import not_found_as_404 as _not_found_as_404
from . import forms

TEMPLATE_DIR = "web/workflow_design"


def not_found_as_404(view: Any) -> Any:
    """NotFound → 404 (no existence leak); Forbidden (not a process admin) → the 403 page."""
    inner = _not_found_as_404(view)

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response: HttpResponse = inner(request, *args, **kwargs)
            return response
        except Forbidden:
            return render(request, "web/form_templates/forbidden.html", status=403)
    return wrapper


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]  # LoginRequiredMiddleware


@not_found_as_404
@require_GET
def designer(request: HttpRequest, template_id: int) -> HttpResponse:
    draft = services.get_draft(actor=_user(request), template_id=template_id)
    return render(request, f"{TEMPLATE_DIR}/designer.html", _tree_context(request, draft))


@not_found_as_404
@require_POST
def operation(request: HttpRequest, template_id: int) -> HttpResponse:
    """One "+" menu / delete / branch operation; answers the re-rendered tree."""
    params = {key: request.POST.get(key) for key in (
        "kind", "after", "into_branch", "node_id", "group_id", "branch_id", "offset")}
    try:
        draft = services.edit_draft(actor=_user(request), template_id=template_id,
                                    operation=request.POST.get("op", ""), params=params)
    except DomainError as error:
        draft = services.get_draft(actor=_user(request), template_id=template_id)
        return _tree(request, draft, error=error.message, status=422)
    return _tree(request, draft)


@not_found_as_404
def node_drawer(request: HttpRequest, template_id: int, node_id: str) -> HttpResponse:
    """GET: the node's settings form (re-rendered when the rule type changes). POST: save."""
    draft = services.get_draft(actor=_user(request), template_id=template_id)
    place = editing.find(draft.flow, node_id)
    if place is None:
        return HttpResponse(status=404)
    if place.group is not None:
        response: HttpResponse = branch_drawer(request, template_id, node_id)
        return response
    node = place.item
    keys = [field.key for field in draft.schema.fields]
    if request.method == "POST":
        settings = forms.node_settings_from_post(request.POST, node, keys)
        _name_rule(request, draft, settings)
        try:
            draft = services.edit_draft(actor=_user(request), template_id=template_id,
                                        operation="update_node",
                                        params={"node_id": node_id, "settings": settings})
        except DomainError as error:
            preview = {**node, **settings}
            return _drawer(request, draft, preview, error=error.message, status=422)
        found = editing.find(draft.flow, node_id)
        return _drawer(request, draft, found.item if found else node, saved=True)
    shown = dict(node)
    if request.GET.get("rule_type") or request.GET.get("mode"):
        # switching the rule type, the choice scope or the mode keeps what was typed
        shown = {**node, **forms.node_settings_from_post(request.GET, node, keys)}
    return _drawer(request, draft, shown)


@not_found_as_404
def branch_drawer(request: HttpRequest, template_id: int, branch_id: str) -> HttpResponse:
    draft = services.get_draft(actor=_user(request), template_id=template_id)
    place = editing.find(draft.flow, branch_id)
    if place is None or place.group is None:
        return HttpResponse(status=404)
    operands = operands_of(draft.schema, _language())
    group_branches: Any = place.group.get("branches") or []
    is_default = place.group.get("type") == "condition_group" and (
        group_branches[-1]["id"] == branch_id)
    data = request.POST if request.method == "POST" else request.GET
    if "rows" in data:
        rows = forms.rows_from_post(data)
        name = data.get("name", "")
    else:
        rows = forms.rows_of(place.item.get("condition") or {})  # type: ignore[arg-type]
        name = str(place.item.get("name") or "")
        if not rows and not is_default and place.group.get("type") == "condition_group":
            rows = [{"field": "", "op": "", "values": []}]
    error, saved = "", False
    if request.method == "POST" and not data.get("add_row") and not any(
            key.endswith("-remove") for key in data):
        condition = (forms.condition_from_rows(rows, operands)
                     if place.group.get("type") == "condition_group" and not is_default
                     else None)
        try:
            draft = services.edit_draft(
                actor=_user(request), template_id=template_id, operation="update_branch",
                params={"branch_id": branch_id, "name": name, "condition": condition})
            saved = True
        except DomainError as failure:
            error = failure.message
    namer = _Names(draft.template.company_id)
    context = {**_tree_context(request, draft), "branch": place.item, "group": place.group,
               "departments": sorted(namer.departments.items()),
               "positions": sorted(namer.positions.items()),
               "people": sorted(namer.people.items()),
               "roles": queries.search_roles(actor=_user(request), text=""),
               "is_default": is_default, "name": name, "error": error, "saved": saved,
               "rows": [_row_view(row, operands) for row in rows],
               "operands": list(operands.values()),
               "is_condition": place.group.get("type") == "condition_group"}
    return render(request, f"{TEMPLATE_DIR}/_branch_drawer.html", context,
                  status=422 if error else 200)


@not_found_as_404
@require_GET
def pick(request: HttpRequest, template_id: int, kind: str) -> HttpResponse:
    """Search endpoint for the pickers in the drawer: people, departments, positions, roles."""
    services.get_draft(actor=_user(request), template_id=template_id)  # access check
    text = request.GET.get("q", "").strip()
    finder = {"people": queries.search_people, "departments": queries.search_departments,
              "positions": queries.search_positions, "roles": queries.search_roles}.get(kind)
    if finder is None:
        return HttpResponse(status=404)
    found = finder(actor=_user(request), text=text)
    return render(request, f"{TEMPLATE_DIR}/_pick_results.html",
                  {"found": found, "name": request.GET.get("name", "user_ids"),
                   "multiple": request.GET.get("multiple", "1") == "1"})


@not_found_as_404
@require_POST
def lint(request: HttpRequest, template_id: int) -> HttpResponse:
    findings = services.lint_draft(actor=_user(request), template_id=template_id)
    return render(request, f"{TEMPLATE_DIR}/_lint.html", {
        "findings": findings, "template_id": template_id, "checked": True,
        "errors": [f for f in findings if f.is_error],
        "warnings": [f for f in findings if not f.is_error]})


@not_found_as_404
def simulate(request: HttpRequest, template_id: int) -> HttpResponse:
    draft = services.get_draft(actor=_user(request), template_id=template_id)
    company_people = User.objects.filter(company_id=draft.template.company_id,
                                         is_active=True).order_by("employee_no")
    context: dict[str, Any] = {"template": draft.template, "people": company_people,
                               "fields": [f for f in draft.schema.fields if f.takes_input]}
    if request.method == "POST":
        initiator = request.POST.get("initiator_id", "")
        values = {f.key: request.POST.get(f"value_{f.key}", "") for f in context["fields"]
                  if request.POST.get(f"value_{f.key}", "") != ""}
        try:
            context["result"] = services.simulate_draft(
                actor=_user(request), template_id=template_id,
                initiator_id=int(initiator) if initiator.isdigit() else 0, form=values)
        except DomainError as error:
            context["error"] = error.message
        context |= {"initiator_id": initiator, "values": values}
    return render(request, f"{TEMPLATE_DIR}/_simulate.html", context)


@not_found_as_404
@require_POST
def publish(request: HttpRequest, template_id: int) -> HttpResponse:
    try:
        version = services.publish_draft(actor=_user(request), template_id=template_id,
                                         accept_warnings=request.POST.get("accept") == "1")
    except LintFailed as error:
        return render(request, f"{TEMPLATE_DIR}/_lint.html", {
            "findings": error.findings, "template_id": template_id, "message": error.message,
            "errors": [f for f in error.findings if f.is_error],
            "warnings": [f for f in error.findings if not f.is_error], "publishing": True},
            status=422)
    except DomainError as error:
        return render(request, f"{TEMPLATE_DIR}/_lint.html",
                      {"message": error.message, "template_id": template_id}, status=422)
    return render(request, f"{TEMPLATE_DIR}/_published.html",
                  {"version": version, "template_id": template_id})


@not_found_as_404
def versions(request: HttpRequest, template_id: int) -> HttpResponse:
    actor = _user(request)
    draft = services.get_draft(actor=actor, template_id=template_id)
    history = queries.version_history(actor=actor, template_id=template_id)
    plans = {}
    for row in history[1:]:
        if row.running:
            plans[row.version.pk] = services.migration_plan(
                actor=actor, template_id=template_id, from_version_id=row.version.pk)
    return render(request, f"{TEMPLATE_DIR}/versions.html", {
        "template": draft.template, "history": history,
        "rows": [(row, plans.get(row.version.pk)) for row in history]})


@not_found_as_404
@require_POST
def migrate(request: HttpRequest, template_id: int, version_id: int) -> HttpResponse:
    ids = [int(i) for i in request.POST.getlist("instance_ids") if i.isdigit()]
    try:
        moved = services.migrate_instances(actor=_user(request), template_id=template_id,
                                           from_version_id=version_id, instance_ids=ids)
        messages.success(request, gettext("已将 %(moved)s 个审批迁移到当前版本") % {"moved": moved})
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("web:flow-versions", template_id)


@not_found_as_404
@require_GET
def export_bpmn(request: HttpRequest, template_id: int) -> HttpResponse:
    version = request.GET.get("version", "")
    xml = services.export_bpmn(actor=_user(request), template_id=template_id,
                               version_id=int(version) if version.isdigit() else None)
    response = HttpResponse(xml, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="flow-{template_id}.bpmn"'
    return response


@not_found_as_404
@require_POST
def import_bpmn(request: HttpRequest, template_id: int) -> HttpResponse:
    upload = request.FILES.get("file")
    try:
        services.import_bpmn(actor=_user(request), template_id=template_id,
                             xml=upload.read() if upload else b"")
        messages.success(request, gettext("已导入为草稿，请检查后发布"))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("web:flow-design", template_id)


# --- rendering helpers ----------------------------------------------------------------------

def _tree(request: HttpRequest, draft: Draft, *, error: str = "", status: int = 200) -> HttpResponse:
    context = _tree_context(request, draft) | {"error": error}
    return render(request, f"{TEMPLATE_DIR}/_tree.html", context, status=status)


def _tree_context(request: HttpRequest, draft: Draft) -> dict[str, Any]:
    operands = operands_of(draft.schema, _language())
    namer = _Names(draft.template.company_id)
    return {"template": draft.template, "root": _view(draft.flow, operands, namer),
            "kinds": [(kind, kind_label(kind, _language())) for kind in editing.NEW_KINDS],
            "op_url": reverse("web:flow-op", args=[draft.template.pk])}


def _view(node: dict[str, Any] | None, operands: Any, namer: _Names) -> dict[str, Any] | None:
    if node is None:
        return None
    kind = node["type"]
    view: dict[str, Any] = {"id": node["id"], "name": node["name"], "type": kind,
                            "kind_label": kind_label(kind, _language()),
                            "summary": _summary(node, namer),
                            "child": _view(node.get("child"), operands, namer)}
    branches = node.get("branches") or []
    view["branches"] = [{
        "id": b["id"], "name": b["name"],
        "summary": describe(b.get("condition") or {}, operands, namer.name, _language())
        if kind == "condition_group" else "",
        "is_unset": editing.is_unset(b.get("condition")),
        "is_default": kind == "condition_group" and index == len(branches) - 1,
        "can_left": index > 0 and not (kind == "condition_group" and index == len(branches) - 1),
        "can_right": index < len(branches) - (2 if kind == "condition_group" else 1),
        "child": _view(b.get("child"), operands, namer)} for index, b in enumerate(branches)]
    return view


class _Names:
    """Display names for ids shown in summaries (one query per kind)."""

    def __init__(self, company_id: int) -> None:
        self.people = dict(User.objects.filter(company_id=company_id).values_list("pk", "name"))
        self.departments = dict(Department.objects.filter(company_id=company_id)
                                .values_list("pk", "name"))
        self.positions = dict(Position.objects.filter(company_id=company_id)
                              .values_list("pk", "name"))

    def name(self, kind: str, value: object) -> str:
        table = {"person": self.people, "department": self.departments,
                 "position": self.positions}.get(kind, {})
        number = int(value) if str(value).isdigit() else None  # type: ignore[call-overload]
        return str(table.get(number, value)) if number is not None else str(value)


def _summary(node: dict[str, Any], namer: _Names) -> str:
    rule = node.get("approver_rule") or {}
    kind = str(rule.get("type") or "")
    text = str(dict(forms.RULE_TYPES).get(kind, ""))
    match kind:
        case "users":
            separator = ", " if _language().startswith("en") else "、"
            text = separator.join(namer.name("person", u) for u in rule.get("user_ids") or [])
        case "role":
            text = gettext("角色：%(name)s") % {"name": rule.get("role_name") or rule.get("role")}
        case "position":
            text = gettext("岗位：%(name)s") % {"name": rule.get("position_name") or namer.name(
                "position", rule.get("position_id"))}
        case "manager":
            level = rule.get("level") or 1
            text = (gettext("发起人的直属上级") if level == 1
                    else gettext("发起人的第 %(level)s 级上级") % {"level": level})
        case "department_head":
            level = rule.get("level") or 0
            text = (gettext("发起人所在部门负责人") if level == 0
                    else gettext("发起人上 %(level)s 级部门负责人") % {"level": level})
        case "named_department_head":
            text = gettext("%(department)s负责人") % {
                "department": namer.name("department", rule.get("department_id"))}
    if node.get("type") in ("approver", "handler") and node.get("mode"):
        text += f" · {forms.MODE_SHORT.get(node['mode'], '')}"
    return text


def _name_rule(request: HttpRequest, draft: Draft, settings: dict[str, Any]) -> None:
    """Store the display name of a chosen role or position with the rule (shown in reasons)."""
    rule = settings.get("approver_rule") or {}
    if rule.get("type") == "role" or (rule.get("type") == "chosen_by_initiator"
                                       and rule.get("from") == "role"):
        labels = dict(queries.search_roles(actor=_user(request), text=""))
        rule["role_name"] = labels.get(rule.get("role", ""), rule.get("role", ""))
    elif rule.get("type") == "position":
        rule["position_name"] = _Names(draft.template.company_id).name(
            "position", rule.get("position_id"))


def _drawer(request: HttpRequest, draft: Draft, node: dict[str, Any], *, error: str = "",
            saved: bool = False, status: int = 200) -> HttpResponse:
    rule = node.get("approver_rule") or {}
    namer = _Names(draft.template.company_id)
    fields = list(draft.schema.fields)
    permissions = node.get("field_permissions") or {}
    default_access = (forms.START_ACCESS_DEFAULT if node.get("type") == "start"
                      else forms.TASK_ACCESS_DEFAULT)
    context = {
        **_tree_context(request, draft), "node": node, "rule": rule, "error": error,
        "saved": saved, "rule_types": forms.RULE_TYPES, "modes": forms.MODES,
        "nobody": forms.NOBODY, "initiator": forms.INITIATOR,
        "same_approver": forms.SAME_APPROVER, "role_scopes": forms.ROLE_SCOPES,
        "actions": [a for a in forms.ACTIONS if not (
            (node.get("type") == "handler" and a[0] in ("approve", "reject"))
            or (node.get("type") == "approver" and a[0] == "complete"))],
        "allowed": node.get("allowed_actions") or [],
        "policies": node.get("policies") or {},
        "quorum": node.get("quorum") or {},
        "permissions": [(f, permissions.get(f.key, default_access)) for f in fields],
        "choose_from": forms.CHOOSE_FROM,
        "access": forms.ACCESS,
        "deadline": forms.deadline_for_form(node.get("deadline")),
        "escalation_targets": forms.ESCALATION_TARGETS,
        "chosen_people": [(u, namer.name("person", u)) for u in rule.get("user_ids") or []],
        "departments": sorted(namer.departments.items()),
        "positions": sorted(namer.positions.items()),
        "people": sorted(namer.people.items()),
        "person_fields": [f for f in fields if f.type.value == "person"],
        "department_fields": [f for f in fields if f.type.value == "department"],
        "roles": queries.search_roles(actor=_user(request), text=""),
    }
    return render(request, f"{TEMPLATE_DIR}/_node_drawer.html", context, status=status)


def _row_view(row: dict[str, Any], operands: Any) -> dict[str, Any]:
    operand = operands.get(row["field"])
    ops = [(op, operator_label(op, _language())) for op, _label in operand.operators] if operand else []
    op = row["op"] if operand and row["op"] in dict(ops) else (ops[0][0] if ops else "")
    widget = "none"
    if operand is not None and op not in ("is_empty", "not_empty"):
        widget = {OperandKind.CHOICE: "choices", OperandKind.DEPARTMENT: "departments",
                  OperandKind.PERSON: "people", OperandKind.POSITION: "positions",
                  OperandKind.ROLES: "roles"}.get(operand.kind, "text")
        if op == "between":
            widget = "range"
    values = list(row["values"])
    return {"field": row["field"], "op": op, "ops": ops, "values": values, "widget": widget,
            "value": values[0] if values else "", "high": values[1] if len(values) > 1 else "",
            "options": operand.options if operand else ()}


def _language() -> str:
    """The active language (the design modules' catalogues take it as a parameter)."""
    return get_language() or "zh-hans"
