from sopflow.api.tests.conftest import bearer_client
from sopflow.audit.models import AuditEvent
from sopflow.org.models import Company, Position, User
from sopflow.org.tests.builders import build_position


def test_positions_listed_and_filtered_when_caller_is_an_employee(
    alice: User, company: Company
) -> None:
    build_position(company, name="出纳", code="cashier")
    build_position(company, name="会计", code="accountant", is_active=False)
    client = bearer_client(alice)

    everything = client.get("/api/v1/org/positions").json()
    active = client.get("/api/v1/org/positions?is_active=true").json()
    found = client.get("/api/v1/org/positions?q=会计").json()

    assert everything["count"] == 2
    assert [row["code"] for row in active["items"]] == ["cashier"]
    assert [row["code"] for row in found["items"]] == ["accountant"]


def test_position_is_404_when_outside_visible_companies(alice: User, stranger: User) -> None:
    theirs = build_position(stranger.company, name="外部岗位", code="ext")

    response = bearer_client(alice).get(f"/api/v1/org/positions/{theirs.pk}")

    assert response.status_code == 404


def test_position_created_and_updated_when_hr_admin_calls(hr_admin: User, company: Company) -> None:
    client = bearer_client(hr_admin)

    created = client.post(
        "/api/v1/org/positions",
        {"company_id": company.pk, "name": "出纳", "code": "cashier"},
        content_type="application/json",
    )
    position_id = created.json()["id"]
    updated = client.patch(
        f"/api/v1/org/positions/{position_id}",
        {"responsibilities": "现金收付", "is_active": False},
        content_type="application/json",
    )

    assert created.status_code == 201
    assert updated.status_code == 200
    position = Position.objects.get(pk=position_id)
    assert (position.name, position.responsibilities, position.is_active) == (
        "出纳",
        "现金收付",
        False,
    )
    assert list(
        AuditEvent.objects.filter(action__startswith="org.position.")
        .order_by("pk")
        .values_list("action", flat=True)
    ) == ["org.position.created", "org.position.updated"]


def test_position_patch_is_403_when_caller_is_not_hr(alice: User, company: Company) -> None:
    position = build_position(company, name="出纳", code="cashier")

    response = bearer_client(alice).patch(
        f"/api/v1/org/positions/{position.pk}", {"name": "x"}, content_type="application/json"
    )

    assert response.status_code == 403
    position.refresh_from_db()
    assert position.name == "出纳"
