"""Org endpoints: departments, positions, employees (list / get / create / update, enable / disable).

Reads go through `sopflow.org.access` (objects outside the caller's visible companies are 404);
writes go through `sopflow.org.services`, which check "manage" permission and write the audit row.
Bulk upsert by employee number lives in `org_sync.py`.
"""

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Literal

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from ninja import Field, Query, Router, Schema
from ninja.pagination import PageNumberPagination, paginate
from pydantic import ConfigDict

from sopflow.core.errors import NotFound, ValidationFailed
from sopflow.org import access, queries, services
from sopflow.org.models import Company, Department, Position, User

router = Router(tags=["org"])

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
Language = Literal["zh-hans", "en"]


class Page(PageNumberPagination):
    """`?page=1&page_size=50` (at most 200); answers `{"items": [...], "count": N}`."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE, **kwargs)


class StrictIn(Schema):
    """Request bodies reject unknown fields, so a typo is an error instead of a silent no-op."""

    model_config = ConfigDict(extra="forbid")


# --- departments ------------------------------------------------------------------------------


class DepartmentOut(Schema):
    id: int
    company_id: int
    parent_id: int | None
    name: str
    code: str
    sort_order: int
    is_active: bool
    head_ids: list[int]
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_head_ids(obj: Department) -> list[int]:
        return [head.pk for head in obj.heads.all()]


class DepartmentIn(StrictIn):
    company_id: int = Field(description="所属公司 ID")
    name: str = Field(max_length=100, description="部门名称")
    code: str = Field(max_length=40, description="部门编码，公司内唯一")
    parent_id: int | None = Field(None, description="上级部门 ID；不填为一级部门")
    sort_order: int = Field(0, description="排序，越小越靠前")
    head_ids: list[int] = Field(default_factory=list, description="负责人（员工 ID）")


class DepartmentPatch(StrictIn):
    name: str | None = Field(None, max_length=100)
    code: str | None = Field(None, max_length=40)
    parent_id: int | None = Field(None, description="传 null 移为一级部门")
    sort_order: int | None = None
    head_ids: list[int] | None = None
    is_active: bool | None = Field(None, description="false 停用（需无在职员工和启用的子部门）")


class DepartmentFilters(Schema):
    company: int | None = Field(None, description="公司 ID")
    parent: int | None = Field(None, description="上级部门 ID（只列直接下级）")
    is_active: bool | None = Field(None, description="是否启用")
    q: str = Field("", max_length=100, description="按名称或编码搜索")


@router.get("/departments", response=list[DepartmentOut], summary="部门列表")
@paginate(Page)
def list_departments(
    request: HttpRequest, filters: Query[DepartmentFilters]
) -> QuerySet[Department]:
    """可见公司内的部门，按排序号排列；可按公司、上级部门、启用状态和关键字筛选。"""
    departments = access.departments_visible_to(_caller(request)).prefetch_related("heads")
    if filters.company is not None:
        departments = departments.filter(company_id=filters.company)
    if filters.parent is not None:
        departments = departments.filter(parent_id=filters.parent)
    if filters.is_active is not None:
        departments = departments.filter(is_active=filters.is_active)
    if filters.q.strip():
        text = filters.q.strip()
        departments = departments.filter(Q(name__icontains=text) | Q(code__icontains=text))
    return departments.order_by("company_id", "sort_order", "pk")


@router.get("/departments/{department_id}", response=DepartmentOut, summary="部门详情")
def get_department(request: HttpRequest, department_id: int) -> Department:
    return access.get_department_for(_caller(request), department_id)


@router.post("/departments", response={201: DepartmentOut}, summary="新建部门")
def create_department(request: HttpRequest, payload: DepartmentIn) -> tuple[int, Department]:
    """需要该公司的人事管理员或系统管理员权限。"""
    actor = _caller(request)
    company = _company_ref(actor, payload.company_id)
    department = services.create_department(
        actor=actor,
        company=company,
        name=payload.name,
        code=payload.code,
        parent=_optional_ref(
            access.get_department_for, actor, payload.parent_id, "parent_id", "上级部门"
        ),
        sort_order=payload.sort_order,
        heads=_refs(access.get_employee_for, actor, payload.head_ids, "head_ids", "负责人"),
    )
    return 201, department


@router.patch("/departments/{department_id}", response=DepartmentOut, summary="修改部门")
def update_department(
    request: HttpRequest, department_id: int, payload: DepartmentPatch
) -> Department:
    """只修改请求中出现的字段。`parent_id` 为 null 表示移为一级部门；`is_active` 停用或启用。"""
    actor = _caller(request)
    department = access.get_department_for(actor, department_id, action="manage")
    given = payload.model_fields_set
    with transaction.atomic():
        changes: dict[str, Any] = {}
        if "name" in given and payload.name is not None:
            changes["name"] = payload.name
        if "code" in given and payload.code is not None:
            changes["code"] = payload.code
        if "sort_order" in given and payload.sort_order is not None:
            changes["sort_order"] = payload.sort_order
        if "parent_id" in given:
            changes["parent"] = _optional_ref(
                access.get_department_for, actor, payload.parent_id, "parent_id", "上级部门"
            )
        if "head_ids" in given:
            changes["heads"] = _refs(
                access.get_employee_for, actor, payload.head_ids or [], "head_ids", "负责人"
            )
        if changes:
            department = services.update_department(actor=actor, department=department, **changes)
        if "is_active" in given and payload.is_active is not None:
            department = services.set_department_active(
                actor=actor, department=department, is_active=payload.is_active
            )
    return access.get_department_for(actor, department.pk)


# --- positions --------------------------------------------------------------------------------


class PositionOut(Schema):
    id: int
    company_id: int
    name: str
    code: str
    responsibilities: str
    is_active: bool
    created_at: datetime
    updated_at: datetime


class PositionIn(StrictIn):
    company_id: int = Field(description="所属公司 ID")
    name: str = Field(max_length=100, description="岗位名称")
    code: str = Field(max_length=40, description="岗位编码，公司内唯一")
    responsibilities: str = Field("", description="岗位职责")


class PositionPatch(StrictIn):
    name: str | None = Field(None, max_length=100)
    responsibilities: str | None = None
    is_active: bool | None = None


class PositionFilters(Schema):
    company: int | None = Field(None, description="公司 ID")
    is_active: bool | None = Field(None, description="是否启用")
    q: str = Field("", max_length=100, description="按名称或编码搜索")


@router.get("/positions", response=list[PositionOut], summary="岗位列表")
@paginate(Page)
def list_positions(request: HttpRequest, filters: Query[PositionFilters]) -> QuerySet[Position]:
    positions = access.positions_visible_to(_caller(request))
    if filters.company is not None:
        positions = positions.filter(company_id=filters.company)
    if filters.is_active is not None:
        positions = positions.filter(is_active=filters.is_active)
    if filters.q.strip():
        text = filters.q.strip()
        positions = positions.filter(Q(name__icontains=text) | Q(code__icontains=text))
    return positions.order_by("company_id", "pk")


@router.get("/positions/{position_id}", response=PositionOut, summary="岗位详情")
def get_position(request: HttpRequest, position_id: int) -> Position:
    return access.get_position_for(_caller(request), position_id)


@router.post("/positions", response={201: PositionOut}, summary="新建岗位")
def create_position(request: HttpRequest, payload: PositionIn) -> tuple[int, Position]:
    """需要该公司的人事管理员或系统管理员权限。"""
    actor = _caller(request)
    position = services.create_position(
        actor=actor,
        company=_company_ref(actor, payload.company_id),
        name=payload.name,
        code=payload.code,
        responsibilities=payload.responsibilities,
    )
    return 201, position


@router.patch("/positions/{position_id}", response=PositionOut, summary="修改岗位")
def update_position(request: HttpRequest, position_id: int, payload: PositionPatch) -> Position:
    """只修改请求中出现的字段；`is_active=false` 停用岗位。"""
    actor = _caller(request)
    position = access.get_position_for(actor, position_id, action="manage")
    changes = {
        key: value
        for key, value in payload.model_dump(exclude_unset=True).items()
        if value is not None
    }
    return services.update_position(actor=actor, position=position, **changes)


# --- employees --------------------------------------------------------------------------------


class EmployeeOut(Schema):
    id: int
    company_id: int | None
    employee_no: str
    name: str
    phone: str | None
    email: str | None
    department_id: int | None
    secondary_department_ids: list[int]
    position_id: int | None
    manager_id: int | None
    title: str
    hired_on: date | None
    language: str
    is_active: bool
    disabled_at: datetime | None

    @staticmethod
    def resolve_secondary_department_ids(obj: User) -> list[int]:
        return [department.pk for department in obj.secondary_departments.all()]


class EmployeeIn(StrictIn):
    company_id: int = Field(description="所属公司 ID")
    employee_no: str = Field(max_length=30, description="工号，全局唯一")
    name: str = Field(max_length=50, description="姓名")
    password: str | None = Field(None, max_length=200, description="初始密码；不填则暂不能登录")
    phone: str | None = Field(None, max_length=20, description="手机号")
    email: str | None = Field(None, max_length=254, description="邮箱")
    department_id: int | None = Field(None, description="主部门 ID")
    secondary_department_ids: list[int] = Field(default_factory=list, description="兼职部门 ID")
    position_id: int | None = Field(None, description="岗位 ID")
    manager_id: int | None = Field(None, description="直属上级（员工 ID）")
    title: str = Field("", max_length=50, description="职务")
    hired_on: date | None = Field(None, description="入职日期 YYYY-MM-DD")
    language: Language = Field("zh-hans", description="界面语言")


class EmployeePatch(StrictIn):
    employee_no: str | None = Field(None, max_length=30)
    name: str | None = Field(None, max_length=50)
    phone: str | None = Field(None, max_length=20)
    email: str | None = Field(None, max_length=254)
    department_id: int | None = None
    secondary_department_ids: list[int] | None = None
    position_id: int | None = None
    manager_id: int | None = None
    title: str | None = Field(None, max_length=50)
    hired_on: date | None = None
    language: Language | None = None


class EmployeeFilters(Schema):
    company: int | None = Field(None, description="公司 ID")
    department: int | None = Field(None, description="主部门 ID")
    position: int | None = Field(None, description="岗位 ID")
    is_active: bool | None = Field(None, description="是否在职")
    q: str = Field("", max_length=100, description="按姓名、工号、手机号、邮箱、职务或部门搜索")


@router.get("/employees", response=list[EmployeeOut], summary="员工列表")
@paginate(Page)
def list_employees(request: HttpRequest, filters: Query[EmployeeFilters]) -> QuerySet[User]:
    """可见公司内的员工，按工号排列。"""
    employees = access.employees_visible_to(_caller(request)).prefetch_related(
        "secondary_departments"
    )
    if filters.company is not None:
        employees = employees.filter(company_id=filters.company)
    if filters.department is not None:
        employees = employees.filter(department_id=filters.department)
    if filters.position is not None:
        employees = employees.filter(position_id=filters.position)
    if filters.is_active is not None:
        employees = employees.filter(is_active=filters.is_active)
    return queries.search_people(employees, filters.q).order_by("employee_no")


@router.get("/employees/{employee_id}", response=EmployeeOut, summary="员工详情")
def get_employee(request: HttpRequest, employee_id: int) -> User:
    return access.get_employee_for(_caller(request), employee_id)


@router.post("/employees", response={201: EmployeeOut}, summary="新建员工")
def create_employee(request: HttpRequest, payload: EmployeeIn) -> tuple[int, User]:
    """需要该公司的人事管理员或系统管理员权限。工号、手机号、邮箱不能与他人重复。"""
    actor = _caller(request)
    employee = services.create_employee(
        actor=actor,
        company=_company_ref(actor, payload.company_id),
        employee_no=payload.employee_no,
        name=payload.name,
        password=payload.password,
        phone=payload.phone,
        email=payload.email,
        department=_optional_ref(
            access.get_department_for, actor, payload.department_id, "department_id", "部门"
        ),
        position=_optional_ref(
            access.get_position_for, actor, payload.position_id, "position_id", "岗位"
        ),
        manager=_optional_ref(
            access.get_employee_for, actor, payload.manager_id, "manager_id", "直属上级"
        ),
        title=payload.title,
        hired_on=payload.hired_on,
        language=payload.language,
        secondary_departments=_refs(
            access.get_department_for,
            actor,
            payload.secondary_department_ids,
            "secondary_department_ids",
            "兼职部门",
        ),
    )
    return 201, employee


@router.patch("/employees/{employee_id}", response=EmployeeOut, summary="修改员工")
def update_employee(request: HttpRequest, employee_id: int, payload: EmployeePatch) -> User:
    """只修改请求中出现的字段；可为空的字段传 null 清空。停用与启用请用单独的接口。"""
    actor = _caller(request)
    employee = access.get_employee_for(actor, employee_id, action="manage")
    given = payload.model_dump(exclude_unset=True)
    changes: dict[str, Any] = {}
    for field in ("employee_no", "name", "phone", "email", "title", "hired_on", "language"):
        if field in given:
            changes[field] = given[field] if given[field] is not None or field in _NULLABLE else ""
    references: dict[str, tuple[Callable[..., Any], str]] = {
        "department_id": (access.get_department_for, "部门"),
        "position_id": (access.get_position_for, "岗位"),
        "manager_id": (access.get_employee_for, "直属上级"),
    }
    for field, (getter, label) in references.items():
        if field in given:
            changes[field.removesuffix("_id")] = _optional_ref(
                getter, actor, given[field], field, label
            )
    secondary = None
    if "secondary_department_ids" in given:
        secondary = _refs(
            access.get_department_for,
            actor,
            given["secondary_department_ids"] or [],
            "secondary_department_ids",
            "兼职部门",
        )
    services.update_employee(
        actor=actor, employee=employee, changes=changes, secondary_departments=secondary
    )
    return access.get_employee_for(actor, employee_id)


@router.post("/employees/{employee_id}/disable", response=EmployeeOut, summary="停用员工（离职）")
def disable_employee(request: HttpRequest, employee_id: int) -> User:
    """员工立即不能登录，其 API 令牌立即失效；历史记录保留。重复停用不报错。"""
    return _set_active(request, employee_id, is_active=False)


@router.post("/employees/{employee_id}/enable", response=EmployeeOut, summary="启用员工")
def enable_employee(request: HttpRequest, employee_id: int) -> User:
    return _set_active(request, employee_id, is_active=True)


# --- helpers ----------------------------------------------------------------------------------

_NULLABLE = {"phone", "email", "hired_on"}


def _caller(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined, no-any-return]  # set by api_auth


def _set_active(request: HttpRequest, employee_id: int, *, is_active: bool) -> User:
    actor = _caller(request)
    employee = access.get_employee_for(actor, employee_id, action="manage")
    services.set_employee_active(actor=actor, employee=employee, is_active=is_active)
    return access.get_employee_for(actor, employee_id)


def _company_ref(actor: User, company_id: int) -> Company:
    try:
        return access.get_company_for(actor, company_id)
    except NotFound as error:
        raise ValidationFailed(gettext("公司不存在"), field="company_id") from error


def _optional_ref[Ref](
    getter: Callable[[User, int], Ref], actor: User, object_id: int | None, field: str, label: str
) -> Ref | None:
    """A referenced object the caller may see; an unknown or invisible id is a 422 on `field`."""
    if object_id is None:
        return None
    try:
        return getter(actor, object_id)
    except NotFound as error:
        raise ValidationFailed(gettext("%(label)s不存在（ID %(object_id)s）") % {"label": gettext(label), "object_id": object_id}, field=field) from error  # labels are model verbose names, already in the catalogue


def _refs[Ref](
    getter: Callable[[User, int], Ref], actor: User, object_ids: list[int], field: str, label: str
) -> list[Ref]:
    return [
        item
        for object_id in dict.fromkeys(object_ids)
        if (item := _optional_ref(getter, actor, object_id, field, label)) is not None
    ]
