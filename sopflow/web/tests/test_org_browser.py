"""Org pages in a real browser (Debian chromium): chart interaction on phone and desktop, import."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from conftest import login_in_browser
from sopflow.demo.seed import DEMO_PASSWORD, seed_demo
from sopflow.org.models import User
from sopflow.org.tests.builders import build_workbook, employee_row

pytestmark = pytest.mark.browser
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _collect_errors(page: Any) -> list[str]:
    """Console errors and CSP violations seen by the page (there must be none)."""
    errors: list[str] = []

    def on_console(message: Any) -> None:
        # A 422 form page or the missing favicon also log "Failed to load resource"; only a
        # missing script or stylesheet counts.
        failed_load = message.text.startswith("Failed to load resource")
        if message.type == "error" and (not failed_load or "/static/" in message.location.get("url", "")):
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def test_org_chart_expands_collapses_and_searches(page: Any, viewport: dict[str, int],
                                                  transactional_db: None) -> None:
    seed_demo(password=DEMO_PASSWORD)
    errors = _collect_errors(page)
    login_in_browser(page, "E041", DEMO_PASSWORD)

    page.goto("/org/")
    page.wait_for_selector("[x-cloak]", state="detached")  # Alpine has started
    north = page.get_by_test_id("org-node-sales-north")
    expect(north).to_be_visible()
    expect(page.get_by_test_id("org-count-sales")).to_have_text("13 人")
    expect(page.get_by_test_id("org-heads-sales")).to_have_text("马超")

    page.get_by_test_id("org-collapse-all").click()
    expect(north).to_be_hidden()
    page.get_by_test_id("org-toggle-sales").click()
    expect(north).to_be_visible()
    expect(page.get_by_test_id("org-toggle-sales")).to_have_attribute("aria-expanded", "true")

    page.get_by_test_id("org-search").fill("朱明")
    expect(page.get_by_test_id("org-person-E062")).to_be_visible()
    expect(page.get_by_test_id("org-node-sales")).to_be_visible()
    expect(north).to_be_visible()
    expect(page.get_by_test_id("org-node-finance")).to_be_hidden()
    expect(page.get_by_test_id("org-node-sales-south")).to_be_hidden()

    page.get_by_test_id("org-search").fill("财务")
    expect(page.get_by_test_id("org-node-finance")).to_be_visible()
    expect(page.get_by_test_id("org-node-sales")).to_be_hidden()
    expect(page.get_by_test_id("org-link-finance")).to_have_class(re.compile(r"\borg-match\b"))

    page.get_by_test_id("org-search").fill("没有这个人")
    expect(page.get_by_test_id("org-no-results")).to_be_visible()

    page.get_by_test_id("org-search").fill("")
    expect(page.get_by_test_id("org-node-finance")).to_be_visible()
    expect(page.get_by_test_id("org-person-E062")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth") is True

    page.get_by_test_id("org-link-sales-north").click()
    page.wait_for_url("**/org/departments/*/")
    assert page.get_by_test_id("department-path").inner_text().split() == ["华启科技", "销售部", "华北组"]
    assert errors == []


def test_hr_admin_import_shows_errors_first_then_imports_the_fixed_file(
        page: Any, transactional_db: None) -> None:
    company = seed_demo(password=DEMO_PASSWORD)
    errors = _collect_errors(page)
    rows = [employee_row("E201", "新员工甲", department_code="rd", position_code="engineer",
                         manager_employee_no="E080"),
            employee_row("E202", "新员工乙", department_code="nowhere", manager_employee_no="E201")]
    users_before = User.objects.count()
    login_in_browser(page, "E020", DEMO_PASSWORD)

    page.goto(f"/org/import/?company={company.pk}")
    page.set_input_files("#id_file", {"name": "员工.xlsx", "mimeType": XLSX,
                                      "buffer": build_workbook({"员工": rows})})
    page.get_by_test_id("import-submit").click()
    table = page.get_by_test_id("import-error-table")
    table.wait_for()

    assert table.locator("tbody tr").all_inner_texts() == ["员工\t3\t主部门编码\t部门编码“nowhere”不存在"]
    assert User.objects.count() == users_before

    rows[1] = employee_row("E202", "新员工乙", department_code="rd", manager_employee_no="E201")
    page.set_input_files("#id_file", {"name": "员工.xlsx", "mimeType": XLSX,
                                      "buffer": build_workbook({"员工": rows})})
    page.get_by_test_id("import-submit").click()
    page.get_by_test_id("import-success").wait_for()

    assert page.get_by_test_id("import-counts").inner_text().splitlines()[2] == "员工：新增 2，更新 0，未变 0"
    assert User.objects.count() == users_before + 2
    assert User.objects.get(employee_no="E202").manager.employee_no == "E201"
    assert errors == []
