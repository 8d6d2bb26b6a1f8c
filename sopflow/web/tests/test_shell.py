from typing import Any

import pytest
from django.test import Client

from conftest import login_in_browser
from sopflow.org.models import User
from sopflow.org.tests.builders import TEST_PASSWORD


def test_every_page_redirects_to_login_when_anonymous(db: None) -> None:
    client = Client()

    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"


def test_login_page_is_public_and_carries_a_csp_header(db: None) -> None:
    response = Client().get("/login/")

    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    script_src = next(part for part in policy.split(";") if part.strip().startswith("script-src"))
    assert script_src.strip() == "script-src 'self'"
    assert "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy


@pytest.mark.parametrize("identifier", ["A001", "13800001111", "ALICE@example.cn"])
def test_login_succeeds_with_employee_number_phone_or_email(alice: User, identifier: str) -> None:
    client = Client()

    response = client.post("/login/", {"username": identifier, "password": TEST_PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").context["me"] == alice


def test_home_shows_name_department_and_position(alice: User) -> None:
    client = Client()
    client.force_login(alice)

    response = client.get("/")

    body = response.content.decode()
    assert "张敏" in body
    assert "市场部" in body
    assert "未分配岗位" in body


def test_english_interface_when_user_chooses_english(alice: User) -> None:
    client = Client()
    client.force_login(alice)

    client.post("/settings/language/", {"language": "en"})

    alice.refresh_from_db()
    assert alice.language == "en"
    assert client.get("/")["Content-Language"] == "en"


@pytest.mark.browser
def test_login_and_home_in_browser(page: Any, alice: User, viewport: dict[str, int]) -> None:
    login_in_browser(page, "A001", TEST_PASSWORD)

    assert page.locator("[data-testid=me-card]").inner_text().startswith("张")
    assert page.title() == "工作台 · sopflow"


def test_home_links_to_the_notification_list(alice: User) -> None:
    client = Client()
    client.force_login(alice)

    body = client.get("/").content.decode()

    assert 'href="/notifications/" data-testid="home-notifications"' in body
