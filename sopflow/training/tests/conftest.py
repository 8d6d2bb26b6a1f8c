"""Training test fixtures: a frozen clock (always unfrozen afterwards), the 费用报销 template
and its gated course."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from sopflow.core.clock import clock
from sopflow.form_templates.models import FormTemplate
from sopflow.org.models import Company
from sopflow.training.models import Course

from .builders import build_course, build_template

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[None]:
    clock.set(T0)
    yield
    clock.unfreeze()


@pytest.fixture
def expense(company: Company) -> FormTemplate:
    return build_template(company)


@pytest.fixture
def course(company: Company, expense: FormTemplate) -> Course:
    return build_course(company, templates=[expense], is_gate=True)
