"""Pure quiz logic: draw questions with shuffled options, and score an answer sheet.

No Django. A drawn question is a snapshot: the options in the order shown and the keys mapped to
that order, so a submitted sheet is scored against exactly what the person saw.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

TRUE_FALSE_OPTIONS = ("正确", "错误")


@dataclass(frozen=True, slots=True)
class BankQuestion:
    """A question of the bank: `correct` indexes into `options` (original order)."""

    id: int
    kind: str
    text: str
    options: tuple[str, ...]
    correct: frozenset[int]
    explanation: str = ""


@dataclass(frozen=True, slots=True)
class DrawnQuestion:
    """A question as shown in one attempt. `order[i]` is the bank index of displayed option i;
    `correct` holds displayed indexes."""

    id: int
    kind: str
    text: str
    options: tuple[str, ...]
    order: tuple[int, ...]
    correct: frozenset[int]
    explanation: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "text": self.text, "options": list(self.options),
                "order": list(self.order), "correct": sorted(self.correct),
                "explanation": self.explanation}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DrawnQuestion:
        return cls(id=int(data["id"]), kind=str(data["kind"]), text=str(data["text"]),
                   options=tuple(data["options"]), order=tuple(data["order"]),
                   correct=frozenset(int(i) for i in data["correct"]),
                   explanation=str(data.get("explanation", "")))


@dataclass(frozen=True, slots=True)
class QuestionFeedback:
    id: int
    text: str
    options: tuple[str, ...]
    chosen: tuple[int, ...]
    correct: tuple[int, ...]
    is_correct: bool
    explanation: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "text": self.text, "options": list(self.options),
                "chosen": list(self.chosen), "correct": list(self.correct),
                "is_correct": self.is_correct, "explanation": self.explanation}


@dataclass(frozen=True, slots=True)
class QuizResult:
    score: int
    correct_count: int
    total: int
    is_passed: bool
    feedback: list[QuestionFeedback] = field(default_factory=list)


def draw(bank: Sequence[BankQuestion], count: int, rng: random.Random) -> list[DrawnQuestion]:
    """`count` distinct questions (all of them when the bank is smaller), options shuffled —
    except true/false, whose 正确/错误 order stays fixed."""
    chosen = rng.sample(list(bank), min(count, len(bank)))
    drawn: list[DrawnQuestion] = []
    for question in chosen:
        order = list(range(len(question.options)))
        if question.kind != "true_false":
            rng.shuffle(order)
        drawn.append(DrawnQuestion(
            id=question.id, kind=question.kind, text=question.text,
            options=tuple(question.options[i] for i in order), order=tuple(order),
            correct=frozenset(order.index(i) for i in question.correct),
            explanation=question.explanation))
    return drawn


def score(drawn: Sequence[DrawnQuestion], answers: Mapping[str, Sequence[int]], *,
          pass_mark: int) -> QuizResult:
    """Score = round(100 × right / drawn). A question is right only when the chosen displayed
    options equal its keys exactly: a partial multiple-choice answer is wrong."""
    feedback: list[QuestionFeedback] = []
    for question in drawn:
        raw = answers.get(str(question.id), [])
        chosen = tuple(sorted({int(i) for i in raw if 0 <= int(i) < len(question.options)}))
        feedback.append(QuestionFeedback(
            id=question.id, text=question.text, options=question.options, chosen=chosen,
            correct=tuple(sorted(question.correct)),
            is_correct=bool(chosen) and frozenset(chosen) == question.correct,
            explanation=question.explanation))
    right = sum(1 for item in feedback if item.is_correct)
    total = len(drawn)
    value = round(100 * right / total) if total else 0
    return QuizResult(score=value, correct_count=right, total=total,
                      is_passed=total > 0 and value >= pass_mark, feedback=feedback)
