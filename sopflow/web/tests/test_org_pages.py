"""Org read pages: chart, department, person, position, directory; visibility across companies."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from sopflow.org.models import Company, Department, User
from sopflow.org.tests.builders import build_company, build_department, build_position, build_user
from sopflow.web.tests.html import text_of


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _text(html: bytes, testid: str) -> str:
    """The text inside the element with `data-testid`, whitespace squeezed."""
    return text_of(html, testid)


def test_org_chart_shows_departments_heads_and_member_counts(alice: User, bob: User, carol: User,
                                                             marketing: Department) -> None:
    build_department(marketing.company, name="品牌组", code="brand", parent=marketing)

    response = _client(alice).get(reverse("web:org-chart"))

    assert response.status_code == 200
    body = response.content
    assert _text(body, "org-link-marketing") == "市场部"
    assert _text(body, "org-heads-marketing") == "李强"
    assert _text(body, "org-count-marketing") == "2 人"
    assert _text(body, "org-count-finance") == "1 人"
    assert _text(body, "org-link-brand") == "品牌组"
    assert b'data-testid="org-toggle-marketing"' in body
    assert b'data-testid="org-toggle-finance"' not in body
    assert b'data-testid="company-switcher"' not in body
    assert b'data-testid="department-create"' not in body


def test_org_chart_runs_the_same_number_of_queries_for_any_tree_size(
        alice: User, company: Company, django_assert_num_queries: object) -> None:
    client = _client(alice)
    client.get(reverse("web:org-chart"))  # warm the session
    for index in range(3):
        build_department(company, code=f"small{index}")

    with django_assert_num_queries(19):  # type: ignore[operator]  # pytest-django fixture
        client.get(reverse("web:org-chart"))

    parent = None
    for index in range(30):
        parent = build_department(company, code=f"big{index}", parent=parent if index % 2 else None)
        build_user(company, department=parent)
    with django_assert_num_queries(19):  # type: ignore[operator]  # pytest-django fixture
        client.get(reverse("web:org-chart"))


def test_hr_admin_sees_admin_buttons_on_the_chart(hr_admin: User, marketing: Department) -> None:
    response = _client(hr_admin).get(reverse("web:org-chart"))

    assert b'data-testid="department-create"' in response.content
    assert b'data-testid="subnav-import"' in response.content


def test_company_switcher_lists_group_and_subsidiaries(db: None) -> None:
    group = build_company(name="华启集团", code="group")
    subsidiary = build_company(name="华启科技", code="tech", parent=group)
    build_department(group, name="集团总部", code="hq")
    person = build_user(subsidiary)
    client = _client(person)

    default = client.get(reverse("web:org-chart"))
    switched = client.get(reverse("web:org-chart"), {"company": group.pk})

    assert _text(default.content, "company-name") == "华启科技"
    assert b'data-testid="company-group"' in default.content
    assert b'data-testid="company-tech"' in default.content
    assert _text(switched.content, "company-name") == "华启集团"
    assert _text(switched.content, "org-link-hq") == "集团总部"


def test_pages_of_an_unrelated_company_are_not_found(alice: User) -> None:
    other = build_company(name="无关公司", code="other")
    department = build_department(other)
    position = build_position(other)
    person = build_user(other)
    client = _client(alice)

    responses = [client.get(reverse("web:org-chart"), {"company": other.pk}),
                 client.get(reverse("web:org-department", args=[department.pk])),
                 client.get(reverse("web:org-position", args=[position.pk])),
                 client.get(reverse("web:org-person", args=[person.pk]))]

    assert [response.status_code for response in responses] == [404, 404, 404, 404]


def test_department_page_shows_path_heads_children_members_and_positions(
        alice: User, bob: User, marketing: Department) -> None:
    team = build_department(marketing.company, name="线上推广组", code="online", parent=marketing)
    specialist = build_position(marketing.company, name="市场专员", code="mkt")
    member = build_user(marketing.company, name="赵磊", employee_no="M010", department=team,
                        position=specialist)
    team.heads.set([member])
    alice.secondary_departments.add(team)
    build_department(marketing.company, name="短视频小组", code="video", parent=team)

    response = _client(alice).get(reverse("web:org-department", args=[team.pk]))

    body = response.content
    assert _text(body, "department-path") == "华启测试 市场部 线上推广组"
    assert _text(body, "department-heads") == "赵磊"
    assert _text(body, "department-children") == "短视频小组"
    assert _text(body, "department-positions") == "市场专员"
    assert _text(body, "department-members") == (
        "姓名 工号 岗位 职务 赵磊 M010 市场专员 — 张敏 兼职 A001 — 市场部")


def test_person_page_shows_profile_manager_and_reports(alice: User, bob: User,
                                                       marketing: Department) -> None:
    response = _client(alice).get(reverse("web:org-person", args=[bob.pk]))

    body = response.content
    assert _text(body, "person-name") == "李强"
    assert _text(body, "person-employee-no") == "B001"
    assert _text(body, "person-department") == "市场部"
    assert _text(body, "person-manager") == "—"
    assert _text(body, "person-status") == "在职"
    assert _text(body, "person-reports") == "张敏 · 市场部"
    assert b'data-testid="person-roles"' not in body
    assert b'data-testid="person-edit"' not in body


def test_disabled_person_shows_as_disabled(hr_admin: User, alice: User) -> None:
    User.objects.filter(pk=alice.pk).update(is_active=False)

    response = _client(hr_admin).get(reverse("web:org-person", args=[alice.pk]))

    assert _text(response.content, "person-status") == "已停用"


def test_position_page_shows_responsibilities_and_holders(alice: User, company: Company) -> None:
    position = build_position(company, name="市场专员", code="mkt", responsibilities="策划市场活动。")
    User.objects.filter(pk=alice.pk).update(position=position)

    response = _client(alice).get(reverse("web:org-position", args=[position.pk]))

    assert _text(response.content, "position-responsibilities") == "策划市场活动。"
    assert _text(response.content, "position-holders") == "张敏 · 市场部"


@pytest.mark.parametrize(("text", "expected"), [("张", ["A001"]), ("B00", ["B001"]), ("财务", ["C001"])])
def test_people_directory_searches_name_number_and_department(text: str, expected: list[str],
                                                              alice: User, bob: User, carol: User) -> None:
    response = _client(alice).get(reverse("web:org-people"), {"q": text}, HTTP_HX_REQUEST="true")

    assert response.templates[0].name == "web/org/_people_rows.html"
    assert [person.employee_no for person in response.context["people"]] == expected
