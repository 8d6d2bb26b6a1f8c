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
    mobile.get_by_test_id("calc-f_total").get_by_text("3,200.00").wait_for()
    assert "叁仟贰佰元整" in mobile.get_by_test_id("calc-f_total").inner_text()
    assert error.inner_text().strip() == ""
    mobile.get_by_test_id("submit").click()
    mobile.wait_for_url("**/submissions/*/")

    assert mobile.get_by_test_id("status").inner_text() == "已提交"
    assert "3,200.00" in mobile.get_by_test_id("value-f_total").inner_text()
    readonly = mobile.get_by_test_id("readonly-form").inner_text()
    assert "交通" in readonly
    assert "1,200.00" in readonly
    assert "住宿" in readonly
    submission = Submission.objects.get()
    assert submission.values["f_items"] == [{"f_item": "交通", "f_amount": "1200.00"},
                                            {"f_item": "住宿", "f_amount": "2000.00"}]
    phone.close()


def _designer_user(company: Company) -> User:
    user = build_user(company, employee_no="P001", name="流程管理员")
    grant(user, RoleAssignment.Role.PROCESS_ADMIN, company=company)
    return user


def _drag(page: Any, source: Any, target: Any) -> None:
    # SortableJS runs in fallback (mouse-event) mode: press, move in steps, release. Wait for
    # the debounced preview to re-render first, so the layout does not shift mid-drag.
    page.wait_for_timeout(800)
    source.scroll_into_view_if_needed()
    box = source.bounding_box()
    goal = target.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(box["x"] + (goal["x"] + goal["width"] / 2 - box["x"]) * step / 10,
                        box["y"] + (goal["y"] + goal["height"] / 2 - box["y"]) * step / 10)
        page.wait_for_timeout(30)
    page.mouse.up()


def test_palette_drag_and_condition_editor_then_fill_shows_and_hides_live(
    page: Any, company: Company, alice: User
) -> None:
    from sopflow.form_templates.models import FormTemplate
    from sopflow.form_templates.tests.builders import build_template

    _designer_user(company)
    template = build_template(company, publish=False, schema={"fields": [
        {"key": "f_type", "type": "single_choice", "label": "报销类型", "required": True,
         "options": [{"value": "差旅", "label": "差旅"}, {"value": "办公", "label": "办公"}]}]})
    login_in_browser(page, "P001", TEST_PASSWORD)
    page.goto(f"/templates/{template.pk}/design/")
    page.get_by_test_id("canvas-field").first.wait_for()

    _drag(page, page.get_by_test_id("palette-text"), page.get_by_test_id("canvas"))
    page.get_by_test_id("canvas-field").nth(1).wait_for()
    _prop(page, "label", "发票号")
    _prop(page, "key", "f_invoice")
    page.get_by_test_id("cond-add-visible_when").click()
    row = page.get_by_test_id("cond-visible_when").get_by_test_id("cond-row")
    row.get_by_test_id("cond-field").select_option("f_type")
    row.get_by_test_id("cond-op").select_option("eq")
    row.get_by_test_id("cond-value").select_option("差旅")
    page.get_by_test_id("palette-table").click()  # click-to-add, the fallback
    _prop(page, "key", "f_items")
    _drag(page, page.get_by_test_id("palette-money"), page.get_by_test_id("table-columns"))
    page.get_by_test_id("canvas-column").wait_for()
    _prop(page, "key", "f_amount")
    page.get_by_test_id("designer-save").click()
    page.get_by_test_id("designer-message").get_by_text("已保存草稿").wait_for()

    fields = template.versions.get().schema["fields"]
    by_key = {f["key"]: f for f in fields}
    assert sorted(by_key) == ["f_invoice", "f_items", "f_type"]
    assert by_key["f_invoice"]["visible_when"] == {"all": [{"field": "f_type", "op": "eq",
                                                  "value": "差旅"}]}
    assert [c["key"] for c in by_key["f_items"]["columns"]] == ["f_amount"]
    assert page.get_by_test_id("palette-text").is_visible()  # the palette keeps its buttons

    page.get_by_test_id("designer-publish").click()
    page.wait_for_url("**/templates/*/")
    assert FormTemplate.objects.get().current_version is not None
    page.get_by_test_id("start").click()
    page.wait_for_url("**/edit/")
    invoice = page.get_by_test_id("field-f_invoice")
    assert invoice.is_hidden()
    page.locator("select[name=f_type]").select_option("差旅")
    invoice.wait_for(state="visible")
    page.locator("select[name=f_type]").select_option("办公")
    invoice.wait_for(state="hidden")


def test_signature_pad_and_image_downscale_store_png_and_small_image(
    page: Any, company: Company, alice: User, settings: Any, tmp_path: Any
) -> None:
    import io

    from PIL import Image

    from sopflow.form_templates.models import Attachment
    from sopflow.form_templates.tests.builders import build_template

    settings.MEDIA_ROOT = tmp_path
    build_template(company, schema={"fields": [
        {"key": "f_photo", "type": "image", "label": "现场照片"},
        {"key": "f_sign", "type": "signature", "label": "签名", "required": True}]})
    big = io.BytesIO()
    Image.new("RGB", (3200, 2400), "green").save(big, "PNG")
    login_in_browser(page, "A001", TEST_PASSWORD)
    page.goto("/templates/")
    page.locator("a", has_text="费用报销").first.click()
    page.get_by_test_id("start").click()
    page.wait_for_url("**/edit/")

    page.get_by_test_id("file-f_photo").set_input_files(
        {"name": "big.png", "mimeType": "image/png", "buffer": big.getvalue()})
    page.get_by_text("已上传 big.jpg").wait_for()
    canvas = page.locator("canvas.signature-pad")
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 30)
    page.mouse.down()
    for step in range(1, 20):
        page.mouse.move(box["x"] + 20 + step * 10, box["y"] + 30 + (step % 5) * 12)
    page.mouse.up()
    page.get_by_role("button", name="确认签名").click()
    page.get_by_text("已保存签名").wait_for()
    page.get_by_test_id("submit").click()
    page.wait_for_url("**/submissions/*/")

    photo = Attachment.objects.get(field_key="f_photo")
    signature = Attachment.objects.get(field_key="f_sign")
    with Image.open(tmp_path / photo.storage_path) as stored:
        assert max(stored.size) <= 1600
    assert signature.kind == "png"
    with Image.open(tmp_path / signature.storage_path) as stored:
        assert stored.format == "PNG"
        assert stored.convert("L").getextrema()[0] < 128  # the stroke is there
    assert Submission.objects.get().values["f_sign"] == [signature.pk]


def test_autosave_conflict_is_shown_to_the_user(page: Any, company: Company,
                                                alice: User) -> None:
    from sopflow.form_templates.tests.builders import build_template

    template = build_template(company)
    login_in_browser(page, "A001", TEST_PASSWORD)
    page.goto(f"/templates/{template.pk}/")
    page.get_by_test_id("start").click()
    page.wait_for_url("**/edit/")
    submission = Submission.objects.get()
    Submission.objects.filter(pk=submission.pk).update(revision=5)  # saved in another tab

    page.locator("[name=f_payee]").fill("招商银行")
    page.get_by_test_id("save-status").locator(".text-danger").wait_for()
    assert page.get_by_test_id("save-status").inner_text().strip() != ""
