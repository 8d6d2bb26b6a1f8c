"""Cross-cutting security checks: everything needs a login, lockout, CSP, cookies, deploy check."""

import os
import re
import secrets
import subprocess
import sys

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

from sopflow.api.urls import api
from sopflow.audit.models import AuditEvent
from sopflow.org.models import User
from sopflow.org.tests.builders import TEST_PASSWORD

PUBLIC_PATHS = {"/login/", "/healthz"}


def _routes(patterns: list[URLPattern | URLResolver], prefix: str = "") -> list[tuple[str, str]]:
    """(path with sample arguments, url name) for every route-style URL in the project."""
    found: list[tuple[str, str]] = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            found += _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern.pattern, RoutePattern):
            route = re.sub(r"<(?:\w+:)?\w+>", "1", prefix + str(pattern.pattern))
            found.append(("/" + route, pattern.name or ""))
    return found


def _web_paths() -> list[str]:
    paths = {
        path for path, _ in _routes(get_resolver().url_patterns) if not path.startswith("/api/")
    }
    return sorted(paths - PUBLIC_PATHS)


def _api_operations() -> list[tuple[str, str]]:
    schema = api.get_openapi_schema()
    return sorted(
        (method, re.sub(r"\{\w+\}", "1", path))
        for path, methods in schema["paths"].items()
        for method in methods
    )


def test_every_web_page_redirects_to_login_when_anonymous(db: None) -> None:
    client = Client()
    paths = _web_paths()

    wrong = {
        path: (response.status_code, response.get("Location"))
        for path in paths
        if (response := client.get(path)).status_code != 302
        or response["Location"] != f"/login/?next={path}"
    }

    assert len(paths) >= 12
    assert wrong == {}


def test_every_api_operation_is_401_when_anonymous(db: None) -> None:
    client = Client()
    operations = _api_operations()

    wrong = {
        (method, path): response.status_code
        for method, path in operations
        if (response := getattr(client, method)(path)).status_code != 401
    }

    assert ("get", "/api/v1/org/employees") in operations
    assert wrong == {}


def test_docs_and_schema_need_login_when_anonymous(db: None) -> None:
    client = Client()

    assert client.get("/api/v1/docs")["Location"] == "/login/?next=/api/v1/docs"
    assert client.get("/api/v1/openapi.json").status_code == 401


def test_only_login_and_health_are_public(db: None) -> None:
    client = Client()

    assert client.get("/login/").status_code == 200
    assert client.get("/healthz").status_code == 200


def test_sixth_attempt_shows_locked_page_even_with_right_password_after_five_failures(
    alice: User,
) -> None:
    client = Client(REMOTE_ADDR="10.1.2.3")

    failures = [
        client.post("/login/", {"username": "A001", "password": f"wrong-{n}"}).status_code
        for n in range(5)
    ]
    sixth = client.post("/login/", {"username": "A001", "password": TEST_PASSWORD})

    assert failures == [401, 401, 401, 401, 429]
    assert sixth.status_code == 429
    assert 'data-testid="locked-out"' in sixth.content.decode()
    assert "_auth_user_id" not in client.session
    attempt = AccessAttempt.objects.get(username="A001", ip_address="10.1.2.3")
    assert attempt.failures_since_start == 6
    reasons = list(
        AuditEvent.objects.filter(action="accounts.session.login_failed")
        .order_by("pk")
        .values_list("changes__reason", flat=True)
    )
    assert reasons == ["bad_credentials"] * 4 + ["locked_out"] * 2
    assert not AuditEvent.objects.filter(action="accounts.session.logged_in").exists()


def test_lockout_is_per_username_and_ip_when_another_address_signs_in(alice: User) -> None:
    attacker = Client(REMOTE_ADDR="10.1.2.3")
    for number in range(5):
        attacker.post("/login/", {"username": "A001", "password": f"wrong-{number}"})

    response = Client(REMOTE_ADDR="10.9.9.9").post(
        "/login/", {"username": "A001", "password": TEST_PASSWORD}
    )

    assert response.status_code == 302


@pytest.mark.parametrize("path", ["/", "/settings/", "/audit/", "/login/"])
def test_pages_carry_a_strict_csp_header(admin: User, path: str) -> None:
    client = Client()
    if path != "/login/":
        client.force_login(admin)

    response = client.get(path)

    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    script_src = next(part.strip() for part in policy.split(";") if "script-src" in part)
    assert re.fullmatch(r"script-src 'self'( 'nonce-[^']+')?", script_src)
    assert "unsafe-eval" not in policy
    assert "object-src 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"


def test_session_cookie_is_httponly_and_lax_when_signed_in(alice: User) -> None:
    client = Client()

    client.post("/login/", {"username": "A001", "password": TEST_PASSWORD})

    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def test_deploy_check_passes_with_production_settings() -> None:
    """Deployment supplies SECRET_KEY, ALLOWED_HOSTS and a real mail backend; the one warning
    left is HSTS preload, which is a deliberate opt-in (SECURE_HSTS_PRELOAD)."""
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "example.com",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    }
    for name in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "DEBUG"):
        env.pop(name, None)

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    issues = set(re.findall(r"\(([a-z_]+\.[EW]\d+)\)", result.stdout + result.stderr))
    assert issues <= {"security.W021"}
