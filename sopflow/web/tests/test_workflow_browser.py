"""Approval scenarios in a real browser, in the demo company: S1 (phone), S2, S3, S8 (phone), S12.

Every step waits on what the page shows (Playwright `expect`), never on a timer.
"""

from __future__ import annotations

import base64
from datetime import date
from typing import Any

import pytest

from conftest import login_in_browser
from sopflow.demo.seed import DEMO_PASSWORD, seed_demo
from sopflow.form_templates.models import FormTemplate
from sopflow.org.models import Company, User
from sopflow.workflow.models import ApprovalTask, Instance

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


def pdf(text: str) -> bytes:
    """A small valid one-page PDF (with a correct xref table) showing `text`."""
    stream = f"BT /F1 12 Tf 20 100 Td ({text}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 144] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


@pytest.fixture
def demo() -> Company:
    return seed_demo()


@pytest.fixture
def open_as(browser: Any, live_server: Any) -> Any:
    """open_as("E041", phone=True) → a logged-in page in its own browser context."""
    contexts: list[Any] = []

    def open_page(employee_no: str, *, phone: bool = False) -> Any:
        context = browser.new_context(viewport=PHONE if phone else DESKTOP, locale="zh-CN",
                                      base_url=live_server.url)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        login_in_browser(page, employee_no, DEMO_PASSWORD)
        return page

    yield open_page
    for context in contexts:
        context.close()


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def person(number: str) -> User:
    return User.objects.get(employee_no=number)


def start_draft(page: Any, code: str) -> None:
    template = FormTemplate.objects.get(company__isnull=False, code=code)
    page.goto(f"/templates/{template.pk}/")
    page.get_by_test_id("start").click()
    page.wait_for_url("**/edit/")


def upload(page: Any, field: str, name: str, mime: str, content: bytes) -> None:
    page.get_by_test_id(f"file-{field}").set_input_files(
        {"name": name, "mimeType": mime, "buffer": content})
    expect(page.locator(f"[data-field-key={field}] [data-file]", has_text=name.split(".")[0])
           ).to_have_count(1)


def submit_and_open_item(page: Any) -> Instance:
    page.get_by_test_id("submit").click()
    page.wait_for_url("**/approvals/*/")
    return Instance.objects.get(pk=int(page.url.rstrip("/").rsplit("/", 1)[1]))


def set_budget(page: Any, amount: str) -> None:
    """Type a budget and wait for the route preview that the change asks for."""
    with page.expect_response(lambda response: "/approvals/preview/" in response.url):
        page.locator("[name=f_budget]").fill(amount)
        page.locator("[name=f_budget]").dispatch_event("change")


def timeline_text(page: Any) -> str:
    return str(page.get_by_test_id("timeline").inner_text())


# --- S1 -----------------------------------------------------------------------------------------


def test_s1_expense_claim_on_a_phone_returned_for_the_invoice_then_approved(
        demo: Company, open_as: Any) -> None:
    # 张敏 on a phone: 差旅, two lines, the total and its capital form, an e-invoice PDF.
    zhang = open_as("E041", phone=True)
    start_draft(zhang, "expense")
    zhang.locator("[name=f_type]").select_option("差旅")
    zhang.locator("[name='f_items.0.f_item']").fill("交通")
    zhang.locator("[name='f_items.0.f_amount']").fill("1,200.00")
    zhang.get_by_test_id("add-row-f_items").click()
    second = zhang.locator("[data-rows] tr").nth(1).locator("input[type=text]")
    second.nth(0).fill("住宿")
    second.nth(1).fill("2,000.00")
    expect(zhang.get_by_test_id("calc-f_total")).to_contain_text("3,200.00")  # shown with separators
    expect(zhang.get_by_test_id("calc-f_total")).to_contain_text("叁仟贰佰元整")
    upload(zhang, "f_invoices", "发票-差旅.pdf", "application/pdf", pdf("INVOICE 1"))
    zhang.locator("[name=f_payee_name]").fill("张敏")
    zhang.locator("[name=f_payee_account]").fill("招商银行 6225 8801 2345 6789")
    preview = zhang.get_by_test_id("route-preview")
    expect(preview.get_by_test_id("preview-step").nth(0)).to_contain_text("李强")
    expect(preview.get_by_test_id("preview-step").nth(1)).to_contain_text("财务审核")
    expect(preview.get_by_test_id("preview-step").nth(1)).to_contain_text("冯静")

    instance = submit_and_open_item(zhang)

    expect(zhang.get_by_test_id("item-status")).to_have_text("部门负责人审核中")

    # 李强 (desktop) approves from the item page.
    li = open_as("E040")
    li.goto(f"/approvals/{instance.pk}/")
    li.get_by_test_id("approve-comment").fill("同意，请财务审核")
    li.get_by_test_id("approve").click()
    expect(li.get_by_test_id("item-status")).to_have_text("财务审核中")

    # 冯静 returns it: 电子发票未上传 + the note.
    feng = open_as("E031")
    feng.goto(f"/approvals/{instance.pk}/")
    feng.get_by_test_id("open-return").click()
    feng.get_by_test_id("return-reason").select_option("电子发票未上传")
    feng.get_by_test_id("return-note").fill("发票缺购买方纳税人识别号")
    feng.get_by_test_id("return").click()
    expect(feng.get_by_test_id("item-status")).to_have_text("已退回")
    expect(feng.get_by_test_id("resubmit-hint")).to_have_text("重新提交后直接回到“财务审核”")

    # 张敏 sees the reason, replaces the invoice and resubmits.
    zhang.goto(f"/approvals/{instance.pk}/")
    zhang.get_by_test_id("resubmit").click()
    reason = zhang.get_by_test_id("return-reason-box")
    expect(reason).to_contain_text("电子发票未上传")
    expect(reason).to_contain_text("发票缺购买方纳税人识别号")
    expect(reason).to_contain_text("重新提交后直接回到“财务审核”")
    zhang.locator("[data-field-key=f_invoices] [data-file] button").click()
    upload(zhang, "f_invoices", "发票-已补税号.pdf", "application/pdf", pdf("INVOICE 2"))
    zhang.get_by_test_id("submit").click()
    zhang.wait_for_url(f"**/approvals/{instance.pk}/")
    # The flow resubmits straight back to 财务审核: 李强 already approved and is not asked again.
    expect(zhang.get_by_test_id("item-status")).to_have_text("财务审核中")
    li.goto(f"/approvals/{instance.pk}/")
    expect(li.get_by_test_id("approve")).to_have_count(0)

    # 冯静 sees exactly which fields changed, and approves.
    feng.goto(f"/approvals/{instance.pk}/")
    changes = feng.get_by_test_id("change-row")
    expect(changes).to_have_count(1)
    expect(changes).to_contain_text("电子发票")
    expect(changes).to_contain_text("发票-已补税号.pdf")
    feng.get_by_test_id("approve-comment").fill("发票已核对")
    feng.get_by_test_id("approve").click()
    expect(feng.get_by_test_id("item-status")).to_have_text("已通过")

    # The item shows 已通过 to 张敏, and the timeline has every step with who, when, comment.
    zhang.goto(f"/approvals/{instance.pk}/")
    expect(zhang.get_by_test_id("item-status")).to_have_text("已通过")
    events = zhang.get_by_test_id("timeline-event")
    verbs = [events.nth(i).get_attribute("data-verb") for i in range(events.count())]
    for verb in ("workflow.instance.submitted", "workflow.task.approved",
                 "workflow.task.returned", "workflow.instance.resubmitted",
                 "workflow.instance.approved"):
        assert verb in verbs, verbs
    text = timeline_text(zhang)
    for who_or_what in ("张敏 · 提交", "李强 · 同意", "同意，请财务审核", "冯静 · 退回",
                        "电子发票未上传", "发票缺购买方纳税人识别号", "张敏 · 重新提交",
                        "直接回到“财务审核”",
                        "冯静 · 同意", "发票已核对"):
        assert who_or_what in text, who_or_what
    assert all(events.nth(i).locator("span.small").inner_text().strip()
               for i in range(events.count()))  # every event shows when


# --- S2 -----------------------------------------------------------------------------------------


def test_s2_campaign_route_has_finance_only_over_50000(demo: Company, open_as: Any) -> None:
    zhang = open_as("E041")
    start_draft(zhang, "campaign")
    zhang.locator("[name=f_name]").fill("秋季新品发布会")
    zhang.locator("[name='f_time.start']").fill("2026-10-12")
    zhang.locator("[name='f_time.end']").fill("2026-10-13")
    zhang.locator("[name=f_target]").fill("新品曝光 100 万次，线索 500 条")
    upload(zhang, "f_plan", "活动方案.pdf", "application/pdf", pdf("PLAN"))
    preview = zhang.get_by_test_id("route-preview")

    set_budget(zhang, "200000")
    expect(preview).to_contain_text("财务会签")
    steps = preview.get_by_test_id("preview-step")
    expect(steps).to_have_count(3)
    expect(steps.nth(0)).to_contain_text("部门负责人审核")
    expect(steps.nth(0)).to_contain_text("李强")
    expect(steps.nth(1)).to_contain_text("分管领导审批")
    expect(steps.nth(1)).to_contain_text("刘志强")
    expect(steps.nth(2)).to_contain_text("钱伟")
    expect(steps.nth(2)).to_contain_text("冯静")

    set_budget(zhang, "30000")
    expect(steps).to_have_count(2)
    expect(preview).not_to_contain_text("财务会签")

    set_budget(zhang, "50000")
    expect(steps).to_have_count(2)
    expect(preview).not_to_contain_text("财务")

    instance = submit_and_open_item(zhang)

    route = zhang.get_by_test_id("route-step")
    expect(route).to_have_count(4)  # 已提交 → 部门负责人 → 分管领导 → 已通过
    expect(zhang.get_by_test_id("route")).not_to_contain_text("财务")
    assert instance.submission.values["f_budget"] in ("50000", "50000.00")


# --- S3 -----------------------------------------------------------------------------------------


def _national_day_2026() -> None:
    from sopflow.worktime.models import CalendarDay

    days = {date(2026, 10, day): CalendarDay.Kind.HOLIDAY for day in range(1, 8)}
    days[date(2026, 10, 10)] = CalendarDay.Kind.MAKEUP_WORKDAY
    for day, kind in days.items():  # the demo may have synced them already
        CalendarDay.objects.update_or_create(company=None, date=day, defaults={"kind": kind})


def test_s3_leave_counts_working_days_from_the_calendar_then_hr_files_it(
        demo: Company, open_as: Any) -> None:
    _national_day_2026()
    zhang = open_as("E041")
    start_draft(zhang, "leave")
    zhang.locator("[name=f_type]").select_option("年假")
    zhang.locator("[name='f_period.start']").fill("2026-09-30")
    zhang.locator("[name='f_period.end']").fill("2026-10-10")
    zhang.locator("[name='f_period.end']").dispatch_event("change")
    zhang.locator("[name=f_reason]").fill("国庆回老家")
    field = zhang.locator("[data-field-key=f_period]")
    expect(field).to_contain_text("共 11 天，其中工作日 4 天")
    expect(zhang.get_by_test_id("route-preview")).to_contain_text("HR 备案")

    instance = submit_and_open_item(zhang)
    expect(zhang.get_by_test_id("item-status")).to_have_text("部门经理审批中")

    li = open_as("E040")
    li.goto(f"/approvals/{instance.pk}/")
    li.get_by_test_id("approve").click()
    expect(li.get_by_test_id("item-status")).to_have_text("HR 备案中")

    wang = open_as("E020")
    wang.goto(f"/approvals/{instance.pk}/")
    expect(wang.get_by_test_id("approve")).to_have_count(0)  # a handler: no approve/reject
    expect(wang.get_by_test_id("open-reject")).to_have_count(0)
    wang.get_by_test_id("complete-form").locator("textarea[name=comment]").fill("已备案")
    wang.get_by_test_id("complete").click()
    expect(wang.get_by_test_id("item-status")).to_have_text("已通过")
    assert "王芳 · 办理完成" in timeline_text(wang)


# --- S8 -----------------------------------------------------------------------------------------


def test_s8_repair_from_a_phone_notifies_repairer_and_head(demo: Company,
                                                          open_as: Any) -> None:
    wei = person("E101")
    zhou = open_as("E011", phone=True)
    start_draft(zhou, "repair")
    zhou.locator("[name=f_device]").select_option("打印机")
    zhou.locator("[name=f_location]").fill("3 楼行政区")
    assert zhou.get_by_test_id("file-f_photos").get_attribute("capture") == "environment"
    upload(zhou, "f_photos", "printer", "image/png", PNG)
    zhou.locator("[name=f_description]").fill("打印机卡纸，无法打印")
    zhou.locator("[name=f_repairer]").select_option(str(wei.pk))
    expect(zhou.get_by_test_id("preview-step").last).to_contain_text("维修办理")
    expect(zhou.get_by_test_id("preview-step").last).to_contain_text("魏强")

    instance = submit_and_open_item(zhou)
    expect(zhou.get_by_test_id("item-status")).to_have_text("维修办理中")

    # The repair person: the bell and the 审批 badge count it, the list names it.
    repairer = open_as("E101", phone=True)
    expect(repairer.get_by_test_id("bell-count")).to_have_text("1")
    expect(repairer.get_by_test_id("nav-approvals-count")).to_have_text("1")
    repairer.get_by_test_id("bell").click()
    expect(repairer.locator("main, .page-body").first).to_contain_text(instance.title)

    # The department head is notified and follows progress on the item page.
    sun = open_as("E010")
    expect(sun.get_by_test_id("bell-count")).to_have_text("1")
    sun.goto(f"/approvals/{instance.pk}/")
    expect(sun.get_by_test_id("route")).to_contain_text("维修办理中")

    repairer.goto(f"/approvals/{instance.pk}/")
    repairer.get_by_test_id("complete-form").locator("textarea[name=comment]").fill("已更换搓纸轮")
    repairer.get_by_test_id("complete").click()
    expect(repairer.get_by_test_id("item-status")).to_have_text("已通过")

    sun.reload()
    expect(sun.get_by_test_id("item-status")).to_have_text("已通过")
    expect(sun.get_by_test_id("timeline")).to_contain_text("已更换搓纸轮")


# --- S12 ----------------------------------------------------------------------------------------


def test_s12_a_colleague_gets_404_the_approver_and_the_auditor_see_the_claim(
        demo: Company, open_as: Any) -> None:
    from sopflow.api.tests.test_workflow_api import draft, expense_values
    from sopflow.api.tests.test_workflow_api import pdf as upload_pdf
    from sopflow.workflow import services

    zhang = person("E041")
    submission_id = draft(zhang, "expense", {})
    invoice = upload_pdf(zhang, submission_id)
    instance = services.submit_for_approval(actor=zhang, submission_id=submission_id,
                                            values=expense_values([invoice.pk]))
    url = f"/approvals/{instance.pk}/"

    for number, status in (("E043", 404), ("E040", 200), ("E033", 200)):
        page = open_as(number)
        response = page.goto(url)
        assert (number, response.status) == (number, status)
        if status == 200:
            expect(page.get_by_test_id("item-status")).to_have_text("部门负责人审核中")
        else:
            expect(page.get_by_test_id("item-status")).to_have_count(0)
    assert ApprovalTask.objects.filter(instance=instance, status="open").count() == 1
