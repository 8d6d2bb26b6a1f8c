"""Helpers for API tests: a Bearer client for a user, and a clean throttle cache per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.test import Client

from sopflow.accounts.services import create_token
from sopflow.org.models import Company, User
from sopflow.org.tests.builders import build_company, build_department, build_user


@pytest.fixture(autouse=True)
def _fresh_throttle_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def bearer_client(user: User) -> Client:
    """A client that calls the API with a freshly issued token of `user` (no session)."""
    plaintext = create_token(actor=user, name="测试").plaintext
    return Client(headers={"Authorization": f"Bearer {plaintext}"})


@pytest.fixture
def other_group(db: None) -> Company:
    """A company outside the cast's group: its objects are invisible to the cast."""
    return build_company(name="外部集团", code="other-group")


@pytest.fixture
def stranger(other_group: Company) -> User:
    """An HR admin of the other group (can manage there, sees nothing of the cast's company)."""
    from sopflow.org.models import RoleAssignment
    from sopflow.org.tests.builders import grant

    department = build_department(other_group, name="外部人事部", code="ext-hr")
    user = build_user(other_group, employee_no="X001", name="外人", department=department)
    grant(user, RoleAssignment.Role.HR_ADMIN, company=other_group)
    return user
