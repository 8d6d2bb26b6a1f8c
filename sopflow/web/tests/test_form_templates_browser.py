from typing import Any

import pytest

from conftest import login_in_browser
from sopflow.form_templates.models import Submission
from sopflow.org.models import Company, RoleAssignment, User
from sopflow.org.tests.builders import TEST_PASSWORD, build_user, grant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _select(page: Any, label: str) -> None:
    page.locator("[data-testid=canvas-field]", has_text=label).first.locator("span.fw-bold").click()


def _prop(page: Any, name: str, value: str) -> None:
    field = page.get_by_test_id(f"prop-{name}")
    field.fill(value)
    field.dispatch_event("change")


def test_admin_designs_and_publishes_then_employee_fills_on_a_phone(
    page: Any, browser: Any, live_server: Any, company: Company, alice: User
) -> None:
    designer = build_user(company, employee_no="P001", name="流程管理员")
    grant(designer, RoleAssignment.Role.PROCESS_ADMIN, company=company)

    # Process admin: create, design (detail table + formula), publish.
    login_in_browser(page, "P001", TEST_PASSWORD)
    page.goto("/templates/manage/")
    page.get_by_test_id("new-name").fill("差旅补贴")
    page.get_by_test_id("create-template").click()
    page.wait_for_url("**/design/")
    page.get_by_test_id("palette-table").click()
    _prop(page, "label", "明细")
    _prop(page, "key", "f_items")
    page.get_by_test_id("column-type").select_option("text")
    page.get_by_test_id("add-column").click()
    _prop(page, "label", "项目")
    _prop(page, "key", "f_item")
    page.get_by_test_id("column-type").select_option("money")
    page.get_by_test_id("add-column").click()
    _prop(page, "label", "金额")
    _prop(page, "key", "f_amount")
    page.get_by_test_id("prop-required").check()
    _select(page, "明细")
    _prop(page, "totals", "f_amount")
    page.get_by_test_id("prop-totals").dispatch_event("input")
    page.get_by_test_id("palette-formula").click()
    _prop(page, "label", "合计")
    _prop(page, "key", "f_total")
    _prop(page, "expression", "SUM(f_items.f_amount)")
    page.get_by_test_id("prop-expression").dispatch_event("input")
    page.get_by_test_id("prop-result").select_option("money")
    page.get_by_test_id("preview").get_by_text("金额").first.wait_for()
    page.get_by_test_id("designer-publish").click()
    page.wait_for_url("**/templates/*/")
    assert page.get_by_text("已发布 v1").is_visible()

    # Employee on a phone: fill, see live total and a field error, fix, submit.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN",
                                base_url=live_server.url)
    mobile = phone.new_page()
    login_in_browser(mobile, "A001", TEST_PASSWORD)
    mobile.goto("/templates/")
    mobile.get_by_text("差旅补贴").click()
    mobile.get_by_test_id("start").click()
    mobile.wait_for_url("**/edit/")
    mobile.locator("[name='f_items.0.f_item']").fill("交通")
    mobile.locator("[name='f_items.0.f_amount']").fill("12o0")
    error = mobile.get_by_test_id("error-f_items")
    error.get_by_text("明细第 1 行的金额应填写金额").wait_for()
    mobile.locator("[name='f_items.0.f_amount']").fill("1200")
    mobile.get_by_test_id("add-row-f_items").click()
    mobile.locator("[data-rows] tr").nth(1).locator("input[type=text]").nth(0).fill("住宿")
    mobile.locator("[data-rows] tr").nth(1).locator("input[type=text]").nth(1).fill("2000")
    mobile.get_by_test_id("calc-f_total").get_by_text("3200.00").wait_for()
    assert "叁仟贰佰元整" in mobile.get_by_test_id("calc-f_total").inner_text()
    assert error.inner_text().strip() == ""
    mobile.get_by_test_id("submit").click()
    mobile.wait_for_url("**/submissions/*/")

    assert mobile.get_by_test_id("status").inner_text() == "已提交"
    assert "3200.00" in mobile.get_by_test_id("value-f_total").inner_text()
    readonly = mobile.get_by_test_id("readonly-form").inner_text()
    assert "交通" in readonly
    assert "1200.00" in readonly
    assert "住宿" in readonly
    submission = Submission.objects.get()
    assert submission.values["f_items"] == [{"f_item": "交通", "f_amount": "1200.00"},
                                            {"f_item": "住宿", "f_amount": "2000.00"}]
    phone.close()
