"""The fixed cast used across the suite: alice (submitter), bob (her manager and head of 市场部),
carol (second approver, finance), dave (outsider in another department), admin (system admin).
Also the Playwright page fixture for browser tests (Debian chromium, never a downloaded browser).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from sopflow.org.models import Company, Department, RoleAssignment, User

CHROMIUM = os.environ.get("SOPFLOW_CHROMIUM", "/usr/bin/chromium")
os.environ.setdefault(
    "DJANGO_ALLOW_ASYNC_UNSAFE", "true"
)  # Playwright's sync API runs an event loop


@pytest.fixture
def company(db: None) -> Company:
    from sopflow.org.tests.builders import build_company

    return build_company(name="华启测试", code="test-co")


@pytest.fixture
def marketing(company: Company) -> Department:
    from sopflow.org.tests.builders import build_department

    return build_department(company, name="市场部", code="marketing")


@pytest.fixture
def finance(company: Company) -> Department:
    from sopflow.org.tests.builders import build_department

    return build_department(company, name="财务部", code="finance")


@pytest.fixture
def bob(company: Company, marketing: Department) -> User:
    from sopflow.org.tests.builders import build_user

    user = build_user(company, employee_no="B001", name="李强", department=marketing)
    marketing.heads.set([user])
    return user


@pytest.fixture
def alice(company: Company, marketing: Department, bob: User) -> User:
    from sopflow.org.tests.builders import build_user

    return build_user(
        company,
        employee_no="A001",
        name="张敏",
        department=marketing,
        manager=bob,
        phone="13800001111",
        email="alice@example.cn",
    )


@pytest.fixture
def carol(company: Company, finance: Department) -> User:
    from sopflow.org.tests.builders import build_user

    user = build_user(company, employee_no="C001", name="冯静", department=finance)
    finance.heads.set([user])
    return user


@pytest.fixture
def dave(company: Company) -> User:
    from sopflow.org.tests.builders import build_department, build_user

    design = build_department(company, name="设计部", code="design")
    return build_user(company, employee_no="D001", name="何佳", department=design)


@pytest.fixture
def admin(company: Company) -> User:
    from sopflow.org.tests.builders import build_user, grant

    user = build_user(company, employee_no="admin", name="系统管理员")
    grant(user, RoleAssignment.Role.SYSTEM_ADMIN)
    return user


@pytest.fixture
def hr_admin(company: Company) -> User:
    from sopflow.org.tests.builders import build_user, grant

    user = build_user(company, employee_no="H001", name="王芳")
    grant(user, RoleAssignment.Role.HR_ADMIN, company=company)
    return user


@pytest.fixture
def auditor(company: Company) -> User:
    from sopflow.org.tests.builders import build_user, grant

    user = build_user(company, employee_no="U001", name="姜宁")
    grant(user, RoleAssignment.Role.AUDITOR, company=company)
    return user


# --- translations ------------------------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def compiled_messages() -> None:
    """Compile sopflow/locale when a .mo is missing or older than its .po (`make setup` does this
    too; a bare `pytest` must not test against a stale build). Locked, since xdist workers race."""
    import contextlib
    import fcntl
    import tempfile
    import warnings
    from pathlib import Path

    from django.conf import settings
    from django.core.management import call_command
    from django.utils.translation.reloader import translation_file_changed

    def stale() -> list[Path]:
        return [
            po for root in settings.LOCALE_PATHS for po in Path(root).rglob("*.po")
            if not po.with_suffix(".mo").exists()
            or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
        ]

    if not stale():
        return
    if shutil.which("msgfmt") is None:
        warnings.warn("msgfmt not found (apt-get install gettext): the English catalogue is not "
                      "compiled and English UI tests will fail", stacklevel=1)
        return
    with open(Path(tempfile.gettempdir()) / "sopflow-compilemessages.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stale():  # another worker may have compiled meanwhile
            for root in settings.LOCALE_PATHS:  # walk only the locale tree, never .venv
                with contextlib.chdir(Path(root).parent):
                    call_command("compilemessages", verbosity=0)
        fcntl.flock(lock, fcntl.LOCK_UN)
    translation_file_changed(sender=None, file_path=Path("django.mo"))


# --- browser -----------------------------------------------------------------------------------


def _chromium_available() -> bool:
    return os.path.exists(CHROMIUM) or shutil.which("chromium") is not None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not _chromium_available():
        pytest.skip(
            f"!!! {CHROMIUM} not found: browser tests SKIPPED (apt-get install chromium) !!!"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium"),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
            ],
        )
        yield instance
        instance.close()


@pytest.fixture(params=["phone", "desktop"])
def viewport(request: pytest.FixtureRequest) -> dict[str, int]:
    return {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1440, "height": 900}}[
        request.param
    ]


@pytest.fixture
def page(browser: Any, live_server: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser page (desktop size unless the test also asks for `viewport`)."""
    size = (
        request.getfixturevalue("viewport")
        if "viewport" in request.fixturenames
        else {"width": 1440, "height": 900}
    )
    context = browser.new_context(viewport=size, locale="zh-CN", base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def login_in_browser(page: Any, employee_no: str, password: str) -> None:
    """Sign in through the real login form."""
    page.goto("/login/")
    page.fill("#id_username", employee_no)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)
