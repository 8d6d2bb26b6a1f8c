"""Demo data for training (called by `sopflow.demo.seed`): the course 费用报销SOP gating 费用报销
(lesson, practice exercise, 20 questions, pass mark 80), the 销售专员 onboarding programme,
the 电子发票未上传 retraining rule, and passed certificates for everyone except 黄晓 (E043),
who shows the gate."""

from __future__ import annotations

from datetime import timedelta

from sopflow.core.clock import clock
from sopflow.form_templates.models import FormTemplate
from sopflow.org.models import Company, Position, User

from .models import Certificate, Course, Lesson, RetrainingRule
from .services import assignments, courses
from .services.attempts import add_months

WITHOUT_CERTIFICATE = ("E043",)

EXTRA_QUESTIONS = [
    ("single", "差旅报销的电子发票应以什么形式上传？", ["PDF 或清晰照片", "只需填写发票号码", "纸质发票交前台", "无需上传"], [0],
     "SOP 第 3 条：差旅报销必须上传电子发票（PDF 或清晰照片）。"),
    ("single", "费用报销的审批路径是？", ["部门负责人 → 财务", "财务 → 总经理", "人事 → 财务", "直接到出纳"], [0],
     "SOP 第 4 条：审批路径为部门负责人 → 财务。"),
    ("single", "“报销合计”如何得出？", ["系统按明细自动合计", "自己手工计算填写", "财务审核时填写", "按发票张数计算"], [0],
     "合计由系统按费用明细自动计算，并生成大写金额。"),
    ("single", "财务以“电子发票未上传”退回后应该怎么做？", ["补传发票后重新提交", "新建一张报销单", "找财务口头说明", "等待系统自动通过"], [0],
     "被退回后补充材料再提交，财务能看到改了哪些字段。"),
    ("single", "发票上必须包含购买方的哪项信息？", ["纳税人识别号", "联系电话", "开户行地址", "法人姓名"], [0],
     "SOP 第 3 条：发票须包含购买方纳税人识别号。"),
    ("multiple", "以下哪些是费用报销的报销类型？", ["差旅", "办公", "业务", "福利"], [0, 1, 2],
     "报销类型只有差旅、办公、业务三种。"),
    ("multiple", "提交前必须核对哪些内容？", ["收款人", "收款账户", "费用明细金额", "同事的报销单"], [0, 1, 2],
     "SOP 第 4 条：核对收款账户后提交；明细金额决定合计。"),
    ("multiple", "哪些情况下报销会被退回？", ["差旅报销缺电子发票", "发票缺购买方纳税人识别号", "明细金额与发票不符", "按时提交"], [0, 1, 2],
     "缺票、发票信息不全、金额不符都会被退回。"),
    ("true_false", "办公类报销也必须上传电子发票。", ["正确", "错误"], [1],
     "只有差旅报销必须上传电子发票（模板中电子发票在“报销类型 = 差旅”时必填）。"),
    ("true_false", "费用明细至少要填写一行。", ["正确", "错误"], [0],
     "费用明细表至少一行，否则不能提交。"),
    ("true_false", "明细金额可以填写 0 元。", ["正确", "错误"], [1], "金额最小为 0.01 元。"),
    ("true_false", "提交后财务能看到被退回后修改了哪些字段。", ["正确", "错误"], [0],
     "重新提交时系统会标出改动的字段。"),
    ("single", "报销单被财务退回，原因是“电子发票未上传”，30 天内累计 3 次会怎样？", ["系统安排重新学习本课程", "直接扣工资", "没有任何影响", "账号被停用"], [0],
     "差错复训规则：30 天内 3 次因电子发票未上传被退回，会被重新分配本课程。"),
]

PRACTICE_BRIEF = ("**练习题**：你在 3 月 5 日为部门购买了 2 箱打印纸，共 360.00 元。"
                  "请按 SOP 填写一张**办公**类报销：费用项目填“打印纸”，金额 360.00，"
                  "收款人填你的名字“张敏”，收款账户填“招商银行 6225 8800 1234 5678”。")
PRACTICE_EXPECTED = {
    "f_type": "办公", "f_items": [{"f_item": "打印纸", "f_date": "2026-03-05", "f_amount": "360.00",
                                 "f_note": ""}],
    "f_payee_name": "张敏", "f_payee_account": "招商银行 6225 8800 1234 5678",
}


def seed_training(company: Company) -> Course | None:
    expense = FormTemplate.objects.filter(company=company, code="expense").first()
    if expense is None:
        return None
    course = courses.create_course_from_template(actor=None, template_id=expense.pk,
                                                 company=company)
    for text, kind, options, correct, explanation in (
            (q[1], q[0], q[2], q[3], q[4]) for q in EXTRA_QUESTIONS):
        courses.save_question(actor=None, course=course, kind=kind, text=text, options=options,
                              correct=correct, explanation=explanation)
    Course.objects.filter(pk=course.pk).update(
        is_gate=True, pass_mark=80, questions_per_attempt=20, max_attempts=3,
        cooldown_minutes=30, validity_months=12,
        description="费用报销的填写规范：报销类型、明细、电子发票与收款信息。通过考试后才能发起费用报销。")
    course.refresh_from_db()
    Lesson.objects.create(course=course, order=2, title="电子发票的要求", body=(
        "## 电子发票\n\n- 差旅报销**必须**上传电子发票（PDF 或清晰照片）。\n"
        "- 发票须包含**购买方纳税人识别号**；缺少时财务会以“电子发票未上传”退回。\n"
        "- 30 天内因此被退回 3 次，系统会安排你重新学习本课程。\n"))
    courses.set_practice(actor=None, course=course, template_id=expense.pk, brief=PRACTICE_BRIEF,
                         expected=PRACTICE_EXPECTED)
    now = clock.now()
    holders = User.objects.filter(company=company, is_active=True).exclude(
        employee_no__in=WITHOUT_CERTIFICATE)
    Certificate.objects.bulk_create([
        Certificate(course=course, user=user, score=90, issued_at=now - timedelta(days=30),
                    expires_at=add_months(now - timedelta(days=30), 12)) for user in holders])
    trip = FormTemplate.objects.filter(company=company, code="trip-daily").first()
    programme_courses = [course.pk]
    if trip is not None:
        programme_courses.insert(0, courses.create_course_from_template(
            actor=None, template_id=trip.pk, company=company).pk)
    sales_rep = Position.objects.filter(company=company, code="sales-rep").first()
    if sales_rep is not None:
        assignments.save_programme(actor=None, position_id=sales_rep.pk, name="销售专员入职培训",
                                   within_days=30, course_ids=programme_courses)
    RetrainingRule.objects.create(company=company, template=expense,
                                  reason_category="电子发票未上传", threshold=3, window_days=30,
                                  course=course, suspend_certificate=False)
    return course
