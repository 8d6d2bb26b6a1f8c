"""Pure quiz drawing and scoring."""

from __future__ import annotations

import random

from sopflow.training.quiz import BankQuestion, DrawnQuestion, draw, score

BANK = [
    BankQuestion(1, "single", "单选", ("A", "B", "C", "D"), frozenset({2}), "选 C"),
    BankQuestion(2, "multiple", "多选", ("甲", "乙", "丙", "丁"), frozenset({0, 3}), "甲和丁"),
    BankQuestion(3, "true_false", "判断", ("正确", "错误"), frozenset({1}), "错误"),
]


def _by_label(question: DrawnQuestion, *labels: str) -> list[int]:
    return [question.options.index(label) for label in labels]


def test_shuffled_options_are_scored_against_the_keys_in_displayed_order() -> None:
    drawn = draw(BANK, 3, random.Random(7))
    sheet = {}
    for question in drawn:
        wanted = {1: ("C",), 2: ("甲", "丁"), 3: ("错误",)}[question.id]
        sheet[str(question.id)] = _by_label(question, *wanted)

    result = score(drawn, sheet, pass_mark=80)

    assert (result.score, result.correct_count, result.total, result.is_passed) == (100, 3, 3, True)
    single = next(q for q in drawn if q.id == 1)
    assert single.options[next(iter(single.correct))] == "C"
    assert [single.options[i] for i in range(4)] == [("A", "B", "C", "D")[i] for i in single.order]


def test_bank_index_answers_are_wrong_when_the_options_were_shuffled() -> None:
    drawn = [DrawnQuestion(1, "single", "单选", ("C", "A", "D", "B"), (2, 0, 3, 1),
                           frozenset({0}), "")]

    result = score(drawn, {"1": [2]}, pass_mark=80)  # bank index of "C", displayed as "D"

    assert (result.score, result.is_passed) == (0, False)
    assert result.feedback[0].to_dict() == {
        "id": 1, "text": "单选", "options": ["C", "A", "D", "B"], "chosen": [2], "correct": [0],
        "is_correct": False, "explanation": ""}


def test_multiple_choice_partial_answer_counts_as_wrong() -> None:
    question = DrawnQuestion(2, "multiple", "多选", ("甲", "乙", "丙", "丁"), (0, 1, 2, 3),
                             frozenset({0, 3}), "")

    partial = score([question], {"2": [0]}, pass_mark=80)
    extra = score([question], {"2": [0, 1, 3]}, pass_mark=80)
    exact = score([question], {"2": [3, 0]}, pass_mark=80)

    assert [partial.score, extra.score, exact.score] == [0, 0, 100]


def test_unanswered_question_is_wrong_and_scores_round_to_whole_points() -> None:
    drawn = [DrawnQuestion(n, "single", f"题{n}", ("a", "b"), (0, 1), frozenset({0}), "")
             for n in range(20)]
    sheet = {str(n): [0] for n in range(15)}  # 15 right, 5 unanswered

    result = score(drawn, sheet, pass_mark=80)

    assert (result.score, result.correct_count, result.is_passed) == (75, 15, False)
    assert score(drawn, {str(n): [0] for n in range(17)}, pass_mark=80).score == 85


def test_draw_takes_distinct_questions_and_keeps_true_false_order() -> None:
    drawn = draw(BANK, 2, random.Random(1))
    everything = draw(BANK, 10, random.Random(2))

    assert len({q.id for q in drawn}) == 2
    assert sorted(q.id for q in everything) == [1, 2, 3]
    assert next(q for q in everything if q.id == 3).options == ("正确", "错误")
    assert DrawnQuestion.from_dict(everything[0].to_dict()) == everything[0]
