from django.test import Client

from sopflow.api.tests.conftest import bearer_client
from sopflow.audit.models import AuditEvent
from sopflow.org.models import Company, Department, User
from sopflow.org.tests.builders import build_department


def _json(client: Client, method: str, url: str, body: dict[str, object]) -> object:
    return getattr(client, method)(url, body, content_type="application/json")


def test_departments_listed_with_count_when_caller_is_an_employee(
    alice: User, finance: Department
) -> None:
    response = bearer_client(alice).get("/api/v1/org/departments")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [row["code"] for row in body["items"]] == ["marketing", "finance"]
    assert body["items"][0]["head_ids"] == [alice.manager_id]


def test_departments_filtered_by_parent_activity_and_text(
    alice: User, company: Company, marketing: Department
) -> None:
    build_department(company, name="线上推广组", code="online", parent=marketing)
    build_department(company, name="线下推广组", code="offline", parent=marketing, is_active=False)
    client = bearer_client(alice)

    children = client.get(f"/api/v1/org/departments?parent={marketing.pk}").json()
    active = client.get(f"/api/v1/org/departments?parent={marketing.pk}&is_active=true").json()
    found = client.get("/api/v1/org/departments?q=线下").json()

    assert [row["code"] for row in children["items"]] == ["online", "offline"]
    assert [row["code"] for row in active["items"]] == ["online"]
    assert [row["code"] for row in found["items"]] == ["offline"]


def test_departments_paginated_when_page_size_given(alice: User, company: Company) -> None:
    for number in range(5):
        build_department(company, name=f"组{number}", code=f"g{number}", sort_order=number + 1)
    client = bearer_client(alice)

    second = client.get("/api/v1/org/departments?page=2&page_size=2").json()

    assert second["count"] == 6
    assert [row["code"] for row in second["items"]] == ["g1", "g2"]


def test_department_is_404_when_outside_visible_companies(alice: User, stranger: User) -> None:
    theirs = stranger.department
    assert theirs is not None

    response = bearer_client(alice).get(f"/api/v1/org/departments/{theirs.pk}")
    listing = bearer_client(alice).get(f"/api/v1/org/departments?company={theirs.company_id}")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "部门不存在"}
    assert listing.json() == {"items": [], "count": 0}


def test_department_created_and_audited_when_hr_admin_posts(
    hr_admin: User, company: Company, marketing: Department, bob: User
) -> None:
    response = _json(
        bearer_client(hr_admin),
        "post",
        "/api/v1/org/departments",
        {
            "company_id": company.pk,
            "name": "品牌组",
            "code": "brand",
            "parent_id": marketing.pk,
            "head_ids": [bob.pk],
        },
    )

    assert response.status_code == 201
    created = Department.objects.get(code="brand")
    assert response.json()["id"] == created.pk
    assert response.json()["parent_id"] == marketing.pk
    assert response.json()["head_ids"] == [bob.pk]
    event = AuditEvent.objects.get(action="org.department.created")
    assert event.actor == hr_admin
    assert event.channel == "api"
    assert event.object_id == str(created.pk)


def test_department_create_is_403_and_changes_nothing_when_caller_is_not_hr(
    alice: User, company: Company
) -> None:
    events_before = AuditEvent.objects.count()

    response = _json(
        bearer_client(alice),
        "post",
        "/api/v1/org/departments",
        {"company_id": company.pk, "name": "品牌组", "code": "brand"},
    )

    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert not Department.objects.filter(code="brand").exists()
    assert AuditEvent.objects.count() == events_before + 1  # only the token creation


def test_department_create_is_422_naming_the_field_when_code_taken(
    hr_admin: User, company: Company, marketing: Department
) -> None:
    response = _json(
        bearer_client(hr_admin),
        "post",
        "/api/v1/org/departments",
        {"company_id": company.pk, "name": "另一个市场部", "code": "marketing"},
    )

    assert response.status_code == 422
    assert response.json() == {
        "code": "validation_failed",
        "field": "code",
        "message": "部门编码“marketing”已存在",
    }
    assert Department.objects.filter(code="marketing").count() == 1


def test_department_create_is_422_when_parent_invisible(
    hr_admin: User, company: Company, stranger: User
) -> None:
    response = _json(
        bearer_client(hr_admin),
        "post",
        "/api/v1/org/departments",
        {
            "company_id": company.pk,
            "name": "品牌组",
            "code": "brand",
            "parent_id": stranger.department_id,
        },
    )

    assert response.status_code == 422
    assert response.json()["field"] == "parent_id"
    assert not Department.objects.filter(code="brand").exists()


def test_department_patch_changes_only_given_fields_and_null_parent_makes_root(
    hr_admin: User, company: Company, marketing: Department
) -> None:
    child = build_department(company, name="线上组", code="online", parent=marketing, sort_order=3)

    response = _json(
        bearer_client(hr_admin),
        "patch",
        f"/api/v1/org/departments/{child.pk}",
        {"name": "电商组", "parent_id": None},
    )

    assert response.status_code == 200
    child.refresh_from_db()
    assert (child.name, child.code, child.parent_id, child.sort_order) == (
        "电商组",
        "online",
        None,
        3,
    )
    event = AuditEvent.objects.get(action="org.department.moved")
    assert event.changes == {"name": ["线上组", "电商组"], "parent": [marketing.pk, None]}


def test_department_patch_disables_when_is_active_false(hr_admin: User, company: Company) -> None:
    empty = build_department(company, name="空部门", code="empty")

    response = _json(
        bearer_client(hr_admin),
        "patch",
        f"/api/v1/org/departments/{empty.pk}",
        {"is_active": False},
    )

    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert AuditEvent.objects.filter(action="org.department.disabled").count() == 1


def test_department_patch_is_422_and_rolls_back_when_disable_refused(
    hr_admin: User, marketing: Department, alice: User
) -> None:
    response = _json(
        bearer_client(hr_admin),
        "patch",
        f"/api/v1/org/departments/{marketing.pk}",
        {"name": "新市场部", "is_active": False},
    )

    assert response.status_code == 422
    assert response.json()["field"] == "is_active"
    marketing.refresh_from_db()
    assert (marketing.name, marketing.is_active) == ("市场部", True)
    assert not AuditEvent.objects.filter(action__startswith="org.department.").exists()


def test_department_patch_is_422_when_unknown_field_sent(
    hr_admin: User, marketing: Department
) -> None:
    response = _json(
        bearer_client(hr_admin),
        "patch",
        f"/api/v1/org/departments/{marketing.pk}",
        {"nmae": "拼错"},
    )

    assert response.status_code == 422
    assert response.json()["field"] == "nmae"
    assert response.json()["message"] == "nmae：不是可识别的字段"
