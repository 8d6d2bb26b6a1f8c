from sopflow.form_templates.schema.practice import PracticeMistake, check_practice

from .builders import TODAY, expense_claim, expense_values

ANSWER = {
    "f_type": "差旅",
    "f_items": [{"f_item": "交通", "f_amount": "1200.00"}, {"f_item": "住宿", "f_amount": "2000"}],
    "f_total": "3200.00",
}


def test_no_mistakes_are_reported_when_the_attempt_matches_the_answer() -> None:
    assert check_practice(expense_claim(), expense_values(), ANSWER, today=TODAY) == []


def test_every_mistake_is_reported_when_values_are_wrong_and_invalid() -> None:
    attempt = {"f_type": "办公",
               "f_items": [{"f_item": "交通", "f_amount": "1200"},
                           {"f_item": "住宿", "f_amount": "-5"}],
               "f_invoice": [41]}

    mistakes = check_practice(expense_claim(), attempt, ANSWER, today=TODAY)

    assert mistakes == [
        PracticeMistake("f_items[1].f_amount", "明细第 2 行的金额",
                        "明细第 2 行的金额不能小于 0.01"),
        PracticeMistake("f_type", "类型", "类型应为 差旅，你填写的是 办公"),
        PracticeMistake("f_total", "合计", "合计应为 3200.00，你填写的是 1200.00"),
    ]


def test_row_count_mistake_is_reported_when_a_line_is_missing() -> None:
    attempt = expense_values() | {"f_items": [{"f_item": "交通", "f_amount": "1200"}]}

    mistakes = check_practice(expense_claim(), attempt, ANSWER, today=TODAY, language="en")

    assert mistakes == [
        PracticeMistake("f_items", "明细", "明细 should have 2 rows, you entered 1"),
        PracticeMistake("f_total", "合计", "合计 should be 3200.00, you entered 1200.00"),
    ]


def test_required_fields_are_mistakes_when_the_attempt_is_empty() -> None:
    mistakes = check_practice(expense_claim(), {}, {"f_type": "差旅"}, today=TODAY)

    assert [(mistake.path, mistake.message) for mistake in mistakes] == [
        ("f_type", "请选择类型"), ("f_items", "请至少填写一行明细"),
        ("f_invoice", "请上传电子发票")]
