import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from django.test import Client

from conftest import login_in_browser
from sopflow.accounts.models import ApiToken
from sopflow.accounts.services import create_token
from sopflow.audit.models import AuditEvent
from sopflow.org.models import User
from sopflow.org.tests.builders import TEST_PASSWORD


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_settings_lists_tokens_with_status_and_no_secret(alice: User) -> None:
    active = create_token(actor=alice, name="考勤同步", expires_in_days=30)
    revoked = create_token(actor=alice, name="旧脚本").token
    revoked.revoked_at = revoked.created_at
    revoked.save()

    body = _client(alice).get("/settings/").content.decode()

    assert f"sop_{active.token.prefix}_…" in body
    assert active.plaintext not in body
    assert "考勤同步" in body
    assert "旧脚本" in body
    assert "有效" in body
    assert "已撤销" in body
    assert f'data-testid="token-revoke-{active.token.prefix}"' in body
    assert f'data-testid="token-revoke-{revoked.prefix}"' not in body


def test_token_created_with_chosen_lifetime_when_form_posted(alice: User) -> None:
    response = _client(alice).post("/settings/tokens/", {"name": "报表", "expires_in_days": "30"})

    token = ApiToken.objects.get(user=alice)
    assert response.status_code == 200
    assert (token.expires_at - token.created_at).days == 30
    assert f"sop_{token.prefix}_" in response.content.decode()


def test_token_not_created_and_error_shown_when_name_blank(alice: User) -> None:
    client = _client(alice)
    events_before = AuditEvent.objects.count()

    response = client.post("/settings/tokens/", {"name": "  "}, follow=True)

    assert "请填写令牌名称" in response.content.decode()
    assert ApiToken.objects.count() == 0
    assert AuditEvent.objects.count() == events_before


def test_revoking_someone_elses_token_changes_nothing(alice: User, bob: User) -> None:
    bobs = create_token(actor=bob, name="乙").token
    client = _client(alice)

    response = client.post(f"/settings/tokens/{bobs.pk}/revoke/", follow=True)

    bobs.refresh_from_db()
    assert bobs.revoked_at is None
    assert "令牌不存在" in response.content.decode()
    assert not AuditEvent.objects.filter(action="accounts.token.revoked").exists()


def test_token_create_needs_post_and_csrf(alice: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    assert client.get("/settings/tokens/").status_code == 405
    assert client.post("/settings/tokens/", {"name": "x"}).status_code == 403
    assert ApiToken.objects.count() == 0


def _call_me(base_url: str, token: str) -> int:
    request = urllib.request.Request(  # noqa: S310  (http to the live server)
        f"{base_url}/api/v1/me",
        headers={"Authorization": f"Bearer {token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            assert json.loads(response.read())["employee_no"] == "A001"
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.browser
def test_token_created_in_browser_works_until_revoked_in_browser(
    page: Any, live_server: Any, alice: User
) -> None:
    login_in_browser(page, "A001", TEST_PASSWORD)
    page.goto("/settings/")
    page.fill("[data-testid=token-name]", "浏览器测试")
    page.click("[data-testid=token-create]")
    plaintext = page.locator("[data-testid=token-plaintext]").inner_text().strip()

    status_before = _call_me(live_server.url, plaintext)
    page.goto("/settings/")
    prefix = plaintext.removeprefix("sop_").split("_", 1)[0]
    page.click(f"[data-testid=token-revoke-{prefix}]")
    page.wait_for_url("**/settings/")
    status_after = _call_me(live_server.url, plaintext)

    assert (status_before, status_after) == (200, 401)
    assert "已撤销" in page.locator(f"[data-testid=token-row-{prefix}]").inner_text()


@pytest.mark.browser
def test_api_docs_render_under_csp_when_signed_in(page: Any, alice: User) -> None:
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    login_in_browser(page, "A001", TEST_PASSWORD)

    page.goto("/api/v1/docs")

    page.locator(".swagger-ui .info .title").wait_for()
    assert "sopflow API" in page.locator(".swagger-ui .info .title").inner_text()
    page.get_by_text("/api/v1/org/employees", exact=True).first.wait_for()
    assert violations == []
