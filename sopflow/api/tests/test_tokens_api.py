import re
from datetime import timedelta

from django.test import Client
from django.utils import timezone

from sopflow.accounts.models import ApiToken
from sopflow.accounts.services import create_token, revoke_token
from sopflow.audit.models import AuditEvent
from sopflow.core.clock import clock
from sopflow.org import services as org_services
from sopflow.org.models import User


def _create_token_in_ui(user: User, name: str = "考勤同步", days: str = "") -> str:
    client = Client()
    client.force_login(user)
    response = client.post("/settings/tokens/", {"name": name, "expires_in_days": days})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    match = re.search(r'data-testid="token-plaintext">(sop_[^<]+)</pre>', response.content.decode())
    assert match is not None
    return match.group(1)


def _bearer(plaintext: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {plaintext}"})


def test_token_from_settings_page_works_on_me_and_employees_when_sent_as_bearer(
    alice: User, bob: User
) -> None:
    plaintext = _create_token_in_ui(alice)
    client = _bearer(plaintext)

    me = client.get("/api/v1/me")
    employees = client.get("/api/v1/org/employees")

    assert me.status_code == 200
    assert me.json() == {
        "id": alice.pk,
        "employee_no": "A001",
        "name": "张敏",
        "company_id": alice.company_id,
        "department_id": alice.department_id,
        "position_id": None,
        "language": "zh-hans",
    }
    assert employees.status_code == 200
    assert [row["employee_no"] for row in employees.json()["items"]] == ["A001", "B001"]


def test_only_the_hash_is_stored_when_token_created_in_ui(alice: User) -> None:
    plaintext = _create_token_in_ui(alice)

    token = ApiToken.objects.get(user=alice)
    prefix, secret = plaintext.removeprefix("sop_").split("_", 1)
    assert token.prefix == prefix
    assert secret not in token.secret_hash
    assert plaintext not in token.secret_hash
    assert len(token.secret_hash) == 64
    event = AuditEvent.objects.get(action="accounts.token.created")
    assert secret not in str(event.changes)
    assert event.changes == {"name": "考勤同步", "prefix": prefix, "expires_at": None}
    assert event.channel == "web"


def test_token_is_401_when_revoked_in_ui(alice: User) -> None:
    plaintext = _create_token_in_ui(alice)
    token = ApiToken.objects.get(user=alice)
    browser = Client()
    browser.force_login(alice)

    response = browser.post(f"/settings/tokens/{token.pk}/revoke/")
    api = _bearer(plaintext).get("/api/v1/me")

    assert response.status_code == 302
    assert api.status_code == 401
    assert api.json() == {"code": "unauthenticated", "message": "未登录或令牌无效"}
    assert (
        AuditEvent.objects.filter(action="accounts.token.revoked", object_id=str(token.pk)).count()
        == 1
    )


def test_token_is_401_when_expired(alice: User) -> None:
    start = timezone.now()
    with clock.frozen(start):
        plaintext = create_token(actor=alice, name="短期", expires_in_days=1).plaintext
        assert _bearer(plaintext).get("/api/v1/me").status_code == 200
        clock.advance(timedelta(days=1, seconds=1))

        response = _bearer(plaintext).get("/api/v1/me")

    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_token_is_401_at_once_when_owner_disabled(alice: User, hr_admin: User) -> None:
    plaintext = create_token(actor=alice, name="同步").plaintext
    client = _bearer(plaintext)
    assert client.get("/api/v1/me").status_code == 200

    org_services.set_employee_active(actor=hr_admin, employee=alice, is_active=False)
    response = client.get("/api/v1/org/employees")

    assert response.status_code == 401


def test_token_is_401_when_secret_tampered(alice: User) -> None:
    plaintext = create_token(actor=alice, name="同步").plaintext
    tampered = plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B")

    responses = [
        _bearer(candidate).get("/api/v1/me")
        for candidate in (
            tampered,
            plaintext.replace("sop_", "sop_0"),
            "sop_",
            "not-a-token",
            plaintext + "x",
        )
    ]

    assert [response.status_code for response in responses] == [401, 401, 401, 401, 401]


def test_api_is_401_json_when_no_credentials(alice: User) -> None:
    client = Client()

    responses = [
        client.get("/api/v1/me"),
        client.get("/api/v1/org/employees"),
        client.post("/api/v1/org/departments", "{}", content_type="application/json"),
    ]

    assert [response.status_code for response in responses] == [401, 401, 401]
    assert all(response.json()["code"] == "unauthenticated" for response in responses)
    assert responses[0]["WWW-Authenticate"] == 'Bearer realm="sopflow"'


def test_bad_token_on_a_write_is_401_not_csrf_403(hr_admin: User) -> None:
    response = _bearer("sop_deadbeef_nope").post(
        "/api/v1/org/departments",
        {"company_id": hr_admin.company_id, "name": "新部门", "code": "new"},
        content_type="application/json",
    )

    assert response.status_code == 401


def test_session_write_is_403_when_csrf_token_missing(hr_admin: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(hr_admin)
    events_before = AuditEvent.objects.count()

    response = client.post(
        "/api/v1/org/departments",
        {"company_id": hr_admin.company_id, "name": "新部门", "code": "new"},
        content_type="application/json",
    )

    assert response.status_code == 403
    assert response.json() == {"code": "csrf_failed", "message": "CSRF 校验失败：请刷新页面后重试"}
    assert not hr_admin.company.departments.filter(code="new").exists()
    assert AuditEvent.objects.count() == events_before


def test_session_write_succeeds_when_csrf_token_sent(hr_admin: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(hr_admin)
    client.get("/settings/")
    csrf = client.cookies["csrftoken"].value

    response = client.post(
        "/api/v1/org/departments",
        {"company_id": hr_admin.company_id, "name": "新部门", "code": "new"},
        content_type="application/json",
        headers={"X-CSRFToken": csrf},
    )

    assert response.status_code == 201
    assert response.json()["code"] == "new"


def test_session_read_works_without_csrf_token(alice: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    response = client.get("/api/v1/me")

    assert response.status_code == 200
    assert response.json()["employee_no"] == "A001"


def test_my_tokens_lists_own_tokens_without_secrets(alice: User, bob: User) -> None:
    own = create_token(actor=alice, name="甲").token
    create_token(actor=bob, name="乙")
    client = _bearer(create_token(actor=alice, name="乙").plaintext)

    response = client.get("/api/v1/me/tokens")

    assert response.status_code == 200
    assert [row["name"] for row in response.json()] == ["乙", "甲"]
    assert set(response.json()[1]) == {
        "id",
        "name",
        "prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    }
    assert response.json()[1]["id"] == own.pk


def test_revoke_via_api_makes_the_token_401(alice: User) -> None:
    issued = create_token(actor=alice, name="甲")
    client = _bearer(issued.plaintext)

    response = client.post(f"/api/v1/me/tokens/{issued.token.pk}/revoke")
    after = client.get("/api/v1/me")

    assert response.status_code == 200
    assert response.json()["revoked_at"] is not None
    assert after.status_code == 401


def test_revoking_anothers_token_is_404_when_not_owner(alice: User, bob: User) -> None:
    bobs = create_token(actor=bob, name="乙").token
    client = _bearer(create_token(actor=alice, name="甲").plaintext)

    response = client.post(f"/api/v1/me/tokens/{bobs.pk}/revoke")

    assert response.status_code == 404
    bobs.refresh_from_db()
    assert bobs.revoked_at is None


def test_token_revoke_twice_records_once(alice: User) -> None:
    token = create_token(actor=alice, name="甲").token

    revoke_token(actor=alice, token_id=token.pk)
    revoke_token(actor=alice, token_id=token.pk)

    assert AuditEvent.objects.filter(action="accounts.token.revoked").count() == 1
