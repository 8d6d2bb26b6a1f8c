from django.test import Client

from sopflow.audit.models import AuditEvent
from sopflow.org import services as org_services
from sopflow.org.models import User
from sopflow.org.tests.builders import TEST_PASSWORD

NEW_PASSWORD = "blue-lantern-77"


def _events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


def test_login_recorded_with_ip_agent_and_channel_when_password_right(alice: User) -> None:
    client = Client(headers={"User-Agent": "测试浏览器/1.0"}, REMOTE_ADDR="10.0.0.8")

    client.post("/login/", {"username": "A001", "password": TEST_PASSWORD})

    [event] = _events("accounts.session.logged_in")
    assert (event.actor, event.ip, event.user_agent, event.channel, event.company_id) == (
        alice,
        "10.0.0.8",
        "测试浏览器/1.0",
        "web",
        alice.company_id,
    )


def test_logout_recorded_when_user_signs_out(alice: User) -> None:
    client = Client()
    client.post("/login/", {"username": "A001", "password": TEST_PASSWORD})

    client.post("/logout/")

    [event] = _events("accounts.session.logged_out")
    assert event.actor == alice


def test_failed_login_recorded_against_the_person_when_password_wrong(alice: User) -> None:
    response = Client().post("/login/", {"username": "13800001111", "password": "wrong-password"})

    assert response.status_code == 401
    [event] = _events("accounts.session.login_failed")
    assert event.actor is None
    assert event.actor_label == "13800001111"
    assert (event.object_id, event.company_id) == (str(alice.pk), alice.company_id)
    assert event.changes == {"username": "13800001111", "reason": "bad_credentials"}
    assert not _events("accounts.session.logged_in")


def test_failed_login_recorded_without_company_when_identifier_unknown(db: None) -> None:
    Client().post("/login/", {"username": "nobody", "password": "wrong-password"})

    [event] = _events("accounts.session.login_failed")
    assert (event.object_id, event.company_id, event.actor_label) == ("", None, "nobody")


def test_password_change_recorded_without_secrets_when_done_in_settings(alice: User) -> None:
    client = Client()
    client.force_login(alice)

    response = client.post(
        "/settings/password/", {"old_password": TEST_PASSWORD, "new_password": NEW_PASSWORD}
    )

    assert response.status_code == 302
    [event] = _events("accounts.password.changed")
    assert (event.actor, event.object_id, event.changes) == (alice, str(alice.pk), {})
    assert client.get("/settings/").status_code == 200  # session survives the change


def test_password_change_refused_and_not_recorded_when_old_password_wrong(alice: User) -> None:
    client = Client()
    client.force_login(alice)

    client.post("/settings/password/", {"old_password": "nope", "new_password": NEW_PASSWORD})

    alice.refresh_from_db()
    assert alice.check_password(TEST_PASSWORD)
    assert not _events("accounts.password.changed")


def test_password_reset_recorded_when_hr_admin_resets_another(hr_admin: User, alice: User) -> None:
    org_services.set_password(actor=hr_admin, employee=alice, new_password=NEW_PASSWORD)

    [event] = _events("accounts.password.reset")
    assert (event.actor, event.object_id) == (hr_admin, str(alice.pk))
