"""Org admin pages: who may use them, what they change, and how refusals look."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db.models import QuerySet
from django.test import Client
from django.urls import reverse

from sopflow.audit.models import AuditEvent
from sopflow.org.models import Company, Department, Position, RoleAssignment, User
from sopflow.org.tests.builders import TEST_PASSWORD, build_department, build_position
from sopflow.web.tests.html import text_of


def _client(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _signs_in(identifier: str, password: str) -> bool:
    response = Client().post(reverse("web:login"), {"username": identifier, "password": password})
    return response.status_code == 302


def _events() -> QuerySet[AuditEvent]:
    """Audit rows other than the sign-ins that `force_login` records."""
    return AuditEvent.objects.exclude(action__startswith="accounts.session.")


def _snapshot() -> tuple[int, int, int, int, int]:
    return (User.objects.count(), Department.objects.count(), Position.objects.count(),
            RoleAssignment.objects.count(), _events().count())


# (name, method, url builder, form data)
Request = tuple[str, str, Callable[[Department, Position, User], str], dict[str, Any]]
ADMIN_REQUESTS: list[Request] = [
    ("new department form", "get", lambda d, p, u: reverse("web:org-department-create"), {}),
    ("create department", "post", lambda d, p, u: reverse("web:org-department-create"),
     {"name": "法务部", "code": "legal", "sort_order": 0}),
    ("edit department", "post", lambda d, p, u: reverse("web:org-department-edit", args=[d.pk]),
     {"name": "市场营销部", "code": "marketing", "sort_order": 5}),
    ("disable department", "post", lambda d, p, u: reverse("web:org-department-active", args=[d.pk]),
     {"is_active": "0"}),
    ("create position", "post", lambda d, p, u: reverse("web:org-position-create"),
     {"name": "法务专员", "code": "legal"}),
    ("edit position", "post", lambda d, p, u: reverse("web:org-position-edit", args=[p.pk]),
     {"name": "资深专员", "responsibilities": "新的职责"}),
    ("disable position", "post", lambda d, p, u: reverse("web:org-position-active", args=[p.pk]),
     {"is_active": "0"}),
    ("create employee", "post", lambda d, p, u: reverse("web:org-person-create"),
     {"employee_no": "N001", "name": "新员工"}),
    ("edit employee", "post", lambda d, p, u: reverse("web:org-person-edit", args=[u.pk]),
     {"employee_no": "C001", "name": "改名"}),
    ("disable employee", "post", lambda d, p, u: reverse("web:org-person-active", args=[u.pk]),
     {"is_active": "0"}),
    ("reset password", "post", lambda d, p, u: reverse("web:org-person-password", args=[u.pk]),
     {"new_password": "another-horse-77"}),
    ("import page", "get", lambda d, p, u: reverse("web:org-import"), {}),
    ("export", "get", lambda d, p, u: reverse("web:org-export"), {}),
]


@pytest.mark.parametrize("request_case", ADMIN_REQUESTS, ids=[case[0] for case in ADMIN_REQUESTS])
@pytest.mark.parametrize("who", ["anonymous", "employee"])
def test_admin_pages_refuse_everyone_but_org_admins_and_change_nothing(
        request_case: Request, who: str, alice: User, marketing: Department, carol: User) -> None:
    _name, method, url_for, data = request_case
    position = build_position(marketing.company)
    url = url_for(marketing, position, carol)
    client = _client(None if who == "anonymous" else alice)
    before = _snapshot()

    response = getattr(client, method)(url, data)

    if who == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")
    else:
        assert response.status_code == 403
        assert text_of(response.content, "forbidden-message") == "只有人事管理员或系统管理员可以修改组织架构"
    assert _snapshot() == before
    marketing.refresh_from_db()
    assert (marketing.name, marketing.is_active) == ("市场部", True)


@pytest.mark.parametrize("request_case", ADMIN_REQUESTS, ids=[case[0] for case in ADMIN_REQUESTS])
def test_admin_pages_work_for_the_hr_admin(request_case: Request, hr_admin: User,
                                           finance: Department, carol: User) -> None:
    _name, method, url_for, data = request_case
    empty = build_department(finance.company, name="市场部", code="marketing")
    position = build_position(finance.company)

    response = getattr(_client(hr_admin), method)(url_for(empty, position, carol), data)

    assert response.status_code == (200 if method == "get" else 302)
    if method == "post":
        assert _events().filter(actor=hr_admin).count() == 1


def test_hr_admin_creates_a_sub_department_with_a_head(hr_admin: User, marketing: Department,
                                                       bob: User) -> None:
    response = _client(hr_admin).post(reverse("web:org-department-create"), {
        "name": "品牌组", "code": "brand", "parent": marketing.pk, "sort_order": 3, "heads": [bob.pk]})

    brand = Department.objects.get(code="brand")
    assert response.status_code == 302
    assert response["Location"] == reverse("web:org-department", args=[brand.pk])
    assert (brand.name, brand.parent, brand.sort_order, list(brand.heads.all())) == (
        "品牌组", marketing, 3, [bob])
    assert AuditEvent.objects.get(action="org.department.created").actor == hr_admin


def test_duplicate_department_code_is_shown_next_to_the_field(hr_admin: User, marketing: Department) -> None:
    before = _snapshot()

    response = _client(hr_admin).post(reverse("web:org-department-create"),
                                      {"name": "另一个市场部", "code": "marketing", "sort_order": 0})

    assert response.status_code == 422
    assert text_of(response.content, "error-code") == "部门编码“marketing”已存在"
    assert _snapshot() == before


def test_moving_a_department_under_its_own_child_is_refused(hr_admin: User, marketing: Department) -> None:
    child = build_department(marketing.company, name="品牌组", code="brand", parent=marketing)
    events = _events().count()

    response = _client(hr_admin).post(reverse("web:org-department-edit", args=[marketing.pk]), {
        "name": "市场部", "code": "marketing", "parent": child.pk, "sort_order": 0})

    assert response.status_code == 422
    assert text_of(response.content, "error-parent") == "不能把部门移动到它自己或它的下级部门之下"
    marketing.refresh_from_db()
    assert marketing.parent is None
    assert _events().count() == events


def test_hr_admin_moves_a_department(hr_admin: User, marketing: Department, finance: Department) -> None:
    response = _client(hr_admin).post(reverse("web:org-department-edit", args=[finance.pk]), {
        "name": "财务部", "code": "finance", "parent": marketing.pk, "sort_order": 0})

    assert response.status_code == 302
    finance.refresh_from_db()
    assert finance.parent == marketing
    assert AuditEvent.objects.get(action="org.department.moved").changes == {
        "parent": [None, marketing.pk]}


def test_disabling_a_department_with_members_shows_why_and_keeps_it(hr_admin: User, alice: User,
                                                                    marketing: Department) -> None:
    client = _client(hr_admin)

    response = client.post(reverse("web:org-department-active", args=[marketing.pk]),
                           {"is_active": "0"}, follow=True)

    assert "部门下还有在职员工，请先调出后再停用" in response.content.decode()
    marketing.refresh_from_db()
    assert marketing.is_active is True


def test_hr_admin_creates_an_employee_who_can_sign_in(hr_admin: User, marketing: Department,
                                                      bob: User) -> None:
    response = _client(hr_admin).post(reverse("web:org-person-create"), {
        "employee_no": "N100", "name": "周婷", "phone": "13700000000", "email": "Zhou@Example.cn",
        "department": marketing.pk, "secondary_departments": [marketing.pk], "manager": bob.pk,
        "title": "市场专员", "hired_on": "2025-02-03", "password": TEST_PASSWORD})

    person = User.objects.get(employee_no="N100")
    assert response.status_code == 302
    assert (person.name, person.email, person.department, person.manager, str(person.hired_on)) == (
        "周婷", "zhou@example.cn", marketing, bob, "2025-02-03")
    assert person.company == hr_admin.company
    assert _signs_in("13700000000", TEST_PASSWORD) is True


def test_phone_taken_by_someone_else_is_shown_next_to_the_field(hr_admin: User, alice: User) -> None:
    before = _snapshot()

    response = _client(hr_admin).post(reverse("web:org-person-create"), {
        "employee_no": "N100", "name": "周婷", "phone": "13800001111"})

    assert response.status_code == 422
    assert text_of(response.content, "error-phone") == "手机号“13800001111”已被使用"
    assert _snapshot() == before


def test_manager_loop_is_refused_on_the_edit_page(hr_admin: User, alice: User, bob: User) -> None:
    response = _client(hr_admin).post(reverse("web:org-person-edit", args=[bob.pk]), {
        "employee_no": "B001", "name": "李强", "department": bob.department_id, "manager": alice.pk})

    assert response.status_code == 422
    assert text_of(response.content, "error-manager") == "直属上级不能形成循环（不能是自己或自己的下属）"
    bob.refresh_from_db()
    assert bob.manager is None


def test_disabling_an_employee_keeps_their_history(hr_admin: User, alice: User) -> None:
    response = _client(hr_admin).post(reverse("web:org-person-active", args=[alice.pk]), {"is_active": "0"})

    alice.refresh_from_db()
    assert response.status_code == 302
    assert (alice.is_active, alice.department.code, alice.manager.employee_no) == (False, "marketing", "B001")
    assert alice.disabled_at is not None
    assert User.objects.filter(pk=alice.pk).exists() is True


def test_hr_admin_resets_a_password(hr_admin: User, alice: User) -> None:
    response = _client(hr_admin).post(reverse("web:org-person-password", args=[alice.pk]),
                                      {"new_password": "brand-new-pass-9"})

    assert response.status_code == 302
    assert _signs_in("A001", "brand-new-pass-9") is True
    assert AuditEvent.objects.get(action="accounts.password.reset").actor == hr_admin


def test_weak_reset_password_is_refused(hr_admin: User, alice: User) -> None:
    response = _client(hr_admin).post(reverse("web:org-person-password", args=[alice.pk]),
                                      {"new_password": "12345678"})

    assert response.status_code == 422
    assert "密码" in text_of(response.content, "error-new_password")
    assert _signs_in("A001", TEST_PASSWORD) is True


def test_system_admin_assigns_and_revokes_a_department_scoped_role(admin: User, alice: User,
                                                                   marketing: Department) -> None:
    client = _client(admin)

    assigned = client.post(reverse("web:org-role-assign", args=[alice.pk]),
                           {"role": "process_admin", "department": marketing.pk})
    grant = RoleAssignment.objects.get(user=alice)
    revoked = client.post(reverse("web:org-role-revoke", args=[grant.pk]))

    assert (assigned.status_code, revoked.status_code) == (302, 302)
    assert (grant.role, grant.company, grant.department) == ("process_admin", marketing.company, marketing)
    assert RoleAssignment.objects.filter(user=alice).exists() is False
    assert [event.action for event in _events().order_by("pk")] == [
        "org.role.assigned", "org.role.revoked"]


def test_hr_admin_cannot_assign_roles(hr_admin: User, alice: User) -> None:
    before = _snapshot()

    page = _client(hr_admin).get(reverse("web:org-role-assign", args=[alice.pk]))
    response = _client(hr_admin).post(reverse("web:org-role-assign", args=[alice.pk]), {"role": "hr_admin"})

    assert (page.status_code, response.status_code) == (403, 403)
    assert text_of(response.content, "forbidden-message") == "只有系统管理员可以授予角色"
    assert _snapshot() == before


def test_hr_admin_of_another_company_cannot_edit_here(alice: User, company: Company) -> None:
    from sopflow.org.tests.builders import build_company, build_user, grant

    outsider = build_user(build_company())
    grant(outsider, RoleAssignment.Role.HR_ADMIN, company=outsider.company)
    before = _snapshot()

    response = _client(outsider).post(reverse("web:org-person-edit", args=[alice.pk]),
                                      {"employee_no": "A001", "name": "改名"})

    assert response.status_code == 404
    assert _snapshot() == before
