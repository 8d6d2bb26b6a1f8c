"""Background entry points: workflow deadline timers fired by the scheduler feed `TimerFired`
through the same service path as every other command."""

from __future__ import annotations

from django.utils.translation import gettext_noop

from sopflow.scheduling import registry
from sopflow.scheduling.registry import FiredTimer

TIMER_KIND = "workflow.deadline"


def on_deadline(fired: FiredTimer) -> None:
    """Run the engine's next deadline rung for the instance named by the timer."""
    from . import services

    services.fire_timer(instance_id=int(fired.target_id), timer_key=str(fired.payload["key"]))


registry.register_timer_handler(TIMER_KIND, on_deadline)


def _register_kinds() -> None:
    from sopflow.notify.kinds import KINDS, register_kind

    for key, label in (("workflow.instance.returned", gettext_noop("审批被退回")),
                       ("workflow.comment.mentioned", gettext_noop("审批评论提到我")),
                       ("workflow.task.due_soon", gettext_noop("审批即将到期"))):
        if key not in KINDS:
            register_kind(key, label)


_register_kinds()
