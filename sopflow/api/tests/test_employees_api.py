from django.test import Client

from sopflow.api.tests.conftest import bearer_client
from sopflow.audit.models import AuditEvent
from sopflow.org.models import Company, Department, User
from sopflow.org.tests.builders import TEST_PASSWORD, build_position


def test_employees_filtered_by_department_activity_and_text(
    alice: User, bob: User, carol: User, finance: Department
) -> None:
    carol.is_active = False
    carol.save()
    client = bearer_client(alice)

    in_finance = client.get(f"/api/v1/org/employees?department={finance.pk}").json()
    active = client.get("/api/v1/org/employees?is_active=true").json()
    found = client.get("/api/v1/org/employees?q=13800001111").json()

    assert [row["employee_no"] for row in in_finance["items"]] == ["C001"]
    assert [row["employee_no"] for row in active["items"]] == ["A001", "B001"]
    assert [row["employee_no"] for row in found["items"]] == ["A001"]


def test_employee_is_404_when_outside_visible_companies(alice: User, stranger: User) -> None:
    response = bearer_client(alice).get(f"/api/v1/org/employees/{stranger.pk}")
    reverse = bearer_client(stranger).get(f"/api/v1/org/employees/{alice.pk}")

    assert response.status_code == 404
    assert reverse.status_code == 404
    assert reverse.json() == {"code": "not_found", "message": "员工不存在"}


def test_employee_created_with_references_when_hr_admin_posts(
    hr_admin: User, company: Company, marketing: Department, finance: Department, bob: User
) -> None:
    position = build_position(company, name="专员", code="specialist")

    response = bearer_client(hr_admin).post(
        "/api/v1/org/employees",
        {
            "company_id": company.pk,
            "employee_no": "E100",
            "name": "赵雷",
            "password": TEST_PASSWORD,
            "phone": "13900002222",
            "department_id": marketing.pk,
            "position_id": position.pk,
            "manager_id": bob.pk,
            "secondary_department_ids": [finance.pk],
            "hired_on": "2025-03-01",
        },
        content_type="application/json",
    )

    assert response.status_code == 201
    body = response.json()
    employee = User.objects.get(employee_no="E100")
    assert body["id"] == employee.pk
    assert (body["department_id"], body["position_id"], body["manager_id"]) == (
        marketing.pk,
        position.pk,
        bob.pk,
    )
    assert body["secondary_department_ids"] == [finance.pk]
    assert body["hired_on"] == "2025-03-01"
    assert "password" not in body
    assert employee.check_password(TEST_PASSWORD)
    assert (
        Client().post("/login/", {"username": "E100", "password": TEST_PASSWORD}).status_code == 302
    )
    assert (
        AuditEvent.objects.filter(action="org.employee.created", object_id=str(employee.pk)).count()
        == 1
    )


def test_employee_create_is_422_naming_employee_no_when_missing(
    hr_admin: User, company: Company
) -> None:
    users_before = User.objects.count()

    response = bearer_client(hr_admin).post(
        "/api/v1/org/employees",
        {"company_id": company.pk, "name": "赵雷"},
        content_type="application/json",
    )

    assert response.status_code == 422
    assert response.json() == {
        "code": "validation_failed",
        "field": "employee_no",
        "message": "employee_no：必填",
        "details": [{"field": "employee_no", "message": "必填"}],
    }
    assert User.objects.count() == users_before


def test_employee_create_is_422_when_employee_no_taken(
    hr_admin: User, company: Company, alice: User
) -> None:
    response = bearer_client(hr_admin).post(
        "/api/v1/org/employees",
        {"company_id": company.pk, "employee_no": "A001", "name": "重名"},
        content_type="application/json",
    )

    assert response.status_code == 422
    assert response.json() == {
        "code": "validation_failed",
        "field": "employee_no",
        "message": "工号“A001”已被使用",
    }
    assert User.objects.filter(employee_no="A001").count() == 1


def test_employee_create_is_422_when_company_invisible(hr_admin: User, stranger: User) -> None:
    response = bearer_client(hr_admin).post(
        "/api/v1/org/employees",
        {"company_id": stranger.company_id, "employee_no": "E100", "name": "赵雷"},
        content_type="application/json",
    )

    assert response.status_code == 422
    assert response.json()["field"] == "company_id"
    assert not User.objects.filter(employee_no="E100").exists()


def test_employee_patch_changes_given_fields_and_clears_nulls(hr_admin: User, alice: User) -> None:
    response = bearer_client(hr_admin).patch(
        f"/api/v1/org/employees/{alice.pk}",
        {"title": "市场专员", "phone": None},
        content_type="application/json",
    )

    assert response.status_code == 200
    alice.refresh_from_db()
    assert (alice.title, alice.phone, alice.email, alice.name) == (
        "市场专员",
        None,
        "alice@example.cn",
        "张敏",
    )
    event = AuditEvent.objects.get(action="org.employee.updated")
    assert event.changes == {"phone": ["13800001111", None], "title": ["", "市场专员"]}


def test_employee_patch_is_422_when_manager_loop(hr_admin: User, alice: User, bob: User) -> None:
    response = bearer_client(hr_admin).patch(
        f"/api/v1/org/employees/{bob.pk}", {"manager_id": alice.pk}, content_type="application/json"
    )

    assert response.status_code == 422
    assert response.json()["field"] == "manager"
    bob.refresh_from_db()
    assert bob.manager_id is None


def test_employee_patch_is_403_when_caller_is_not_hr(alice: User, bob: User) -> None:
    response = bearer_client(alice).patch(
        f"/api/v1/org/employees/{bob.pk}", {"title": "老板"}, content_type="application/json"
    )

    assert response.status_code == 403
    bob.refresh_from_db()
    assert bob.title == ""


def test_employee_disabled_then_enabled_when_hr_admin_calls(hr_admin: User, alice: User) -> None:
    client = bearer_client(hr_admin)

    disabled = client.post(f"/api/v1/org/employees/{alice.pk}/disable")
    again = client.post(f"/api/v1/org/employees/{alice.pk}/disable")
    enabled = client.post(f"/api/v1/org/employees/{alice.pk}/enable")

    assert (disabled.status_code, again.status_code, enabled.status_code) == (200, 200, 200)
    assert disabled.json()["is_active"] is False
    assert disabled.json()["disabled_at"] is not None
    assert enabled.json()["is_active"] is True
    assert list(
        AuditEvent.objects.filter(object_id=str(alice.pk), action__startswith="org.employee.")
        .order_by("pk")
        .values_list("action", flat=True)
    ) == ["org.employee.disabled", "org.employee.enabled"]


def test_employee_disable_is_403_when_caller_is_not_hr(alice: User, bob: User) -> None:
    response = bearer_client(alice).post(f"/api/v1/org/employees/{bob.pk}/disable")

    assert response.status_code == 403
    bob.refresh_from_db()
    assert bob.is_active is True
