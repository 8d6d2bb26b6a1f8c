"""Handler registries filled by each app's `AppConfig.ready()`: timer kinds, rule kinds, jobs and
periodic sweeps. The scheduler only knows names; the apps bring the code.

    register_timer_handler("workflow.deadline", on_deadline)   # fn(FiredTimer) -> None
    register_rule_handler("notify.reminder", send_reminder)    # fn(RuleRun) -> None
    register_job("notify.digest", send_digest)                 # fn(**arguments) -> None
    register_sweep("notify.deliveries", requeue_due)           # fn(now) -> int
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any


@dataclass(frozen=True, slots=True)
class FiredTimer:
    """What a timer handler receives. `lateness` = how long after `due_at` it fires (an outage
    shows up here; a reminder handler may skip itself when it is stale)."""

    key: str
    kind: str
    target_type: str
    target_id: str
    payload: dict[str, Any]
    company_id: int | None
    due_at: datetime
    now: datetime
    attempt: int

    @property
    def lateness(self) -> timedelta:
        return self.now - self.due_at


@dataclass(frozen=True, slots=True)
class RuleRun:
    """What a rule handler receives: the rule's company, payload and the period it fires for."""

    rule_id: int
    company_id: int
    key: str
    payload: dict[str, Any] = field(default_factory=dict)
    period_on: date | None = None
    now: datetime | None = None


TimerHandler = Callable[[FiredTimer], None]
RuleHandler = Callable[[RuleRun], None]
JobFunction = Callable[..., None]
Sweep = Callable[[datetime], int]

timer_handlers: dict[str, TimerHandler] = {}
rule_handlers: dict[str, RuleHandler] = {}
jobs: dict[str, JobFunction] = {}
sweeps: dict[str, Sweep] = {}


def register_timer_handler(kind: str, handler: TimerHandler) -> None:
    """Route timers of `kind` to `handler`; it runs inside the claim's transaction."""
    timer_handlers[kind] = handler


def register_rule_handler(kind: str, handler: RuleHandler) -> None:
    rule_handlers[kind] = handler


def register_job(name: str, function: JobFunction) -> None:
    jobs[name] = function


def register_sweep(name: str, sweep: Sweep) -> None:
    """A callable run on every scheduler tick (re-queue due retries, send digests, …)."""
    sweeps[name] = sweep
