"""Plug-in points other apps fill in their `AppConfig.ready()`, so that form_templates never
imports them: start gates (training: "pass the course first") and publish hooks (training:
"re-assign the course when a version requires retraining").

    register_start_gate(fn)    # fn(user, template) -> list[GateRefusal]
    register_publish_hook(fn)  # fn(actor, version) -> None, inside publish's transaction
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sopflow.core.errors import Forbidden

if TYPE_CHECKING:
    from sopflow.org.models import User

    from .models import FormTemplate, TemplateVersion


@dataclass(frozen=True, slots=True)
class GateRefusal:
    """Why a person may not start or submit a template, and where to fix it."""

    message: str
    link: str = ""

    def to_dict(self) -> dict[str, object]:
        return {"message": self.message, "link": self.link}


StartGate = Callable[["User", "FormTemplate"], list[GateRefusal]]
PublishHook = Callable[["User | None", "TemplateVersion"], None]

_start_gates: list[StartGate] = []
_publish_hooks: list[PublishHook] = []


def register_start_gate(gate: StartGate) -> None:
    if gate not in _start_gates:
        _start_gates.append(gate)


def register_publish_hook(hook: PublishHook) -> None:
    if hook not in _publish_hooks:
        _publish_hooks.append(hook)


def check_start_gates(user: User, template: FormTemplate) -> list[GateRefusal]:
    """Every refusal of every registered gate (empty: the person may go ahead)."""
    return [refusal for gate in _start_gates for refusal in gate(user, template)]


def enforce_start_gates(user: User, template: FormTemplate) -> None:
    """Raise Forbidden (code `gate_refused`, each refusal with its link in `details`)."""
    refusals = check_start_gates(user, template)
    if refusals:
        raise Forbidden(refusals[0].message, code="gate_refused",
                        details=[refusal.to_dict() for refusal in refusals])


def run_publish_hooks(actor: User | None, version: TemplateVersion) -> None:
    for hook in _publish_hooks:
        hook(actor, version)
