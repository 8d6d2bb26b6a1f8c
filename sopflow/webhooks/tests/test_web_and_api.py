import pytest
from django.test import Client

from sopflow.notify.services import notify
from sopflow.org.models import Company, User
from sopflow.webhooks.models import WebhookSubscription


def test_bell_badge_shows_unread_count(alice: User, bob: User) -> None:
    notify(recipients=[alice], kind="system.notice", title="一", link="/org/")
    notify(recipients=[alice], kind="system.notice", title="二")
    client = Client()
    client.force_login(alice)

    response = client.get("/notifications/badge/", HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert 'data-testid="bell-count">2<' in response.content.decode()
    assert 'hx-trigger="every 30s, inbox-changed from:body"' in response.content.decode()


def test_opening_a_notification_marks_it_read_and_follows_the_deep_link(alice: User) -> None:
    notification, = notify(recipients=[alice], kind="system.notice", title="一", link="/org/")
    client = Client()
    client.force_login(alice)

    response = client.get(f"/notifications/{notification.pk}/open/")

    assert (response.status_code, response["Location"]) == (302, "/org/")
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_nobody_opens_someone_elses_notification(alice: User, bob: User) -> None:
    notification, = notify(recipients=[alice], kind="system.notice", title="一")
    client = Client()
    client.force_login(bob)

    response = client.post(f"/notifications/{notification.pk}/read/")

    assert response.status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


@pytest.mark.parametrize(("who", "status"), [("alice", 404), ("admin", 200)])
def test_jobs_page_is_for_system_admins(who: str, status: int, request: pytest.FixtureRequest) -> None:
    client = Client()
    client.force_login(request.getfixturevalue(who))

    assert client.get("/admin-jobs/").status_code == status


@pytest.mark.parametrize(("who", "status"), [("anonymous", 401), ("alice", 403), ("admin", 201)])
def test_api_creates_subscription_only_for_admins(
    who: str, status: int, company: Company, request: pytest.FixtureRequest
) -> None:
    client = Client()
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))

    response = client.post("/api/v1/webhooks/subscriptions", content_type="application/json",
                           data={"company_id": company.pk, "url": "https://erp.example.cn/hook",
                                 "event_types": ["workflow.instance.approved"]})

    assert response.status_code == status
    assert WebhookSubscription.objects.count() == (1 if status == 201 else 0)
    if status == 201:
        assert response.json()["secret"].startswith("whsec_")
        listed = client.get("/api/v1/webhooks/subscriptions").json()
        assert "secret" not in listed[0]


def test_web_pages_render(admin: User, hr_admin: User) -> None:
    client = Client()
    client.force_login(admin)

    pages = ["/notifications/", "/notifications/preferences/", "/webhooks/", "/time/calendar/"]

    assert [client.get(page).status_code for page in pages] == [200, 200, 200, 200]
