"""The engine's entry points: `start` a new instance and `advance` a running one."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from . import decide, manage
from .commands import (
    AddSigner,
    AdminReassign,
    AdminRestartFrom,
    AdminSkip,
    AdminTerminate,
    Approve,
    Command,
    Comment,
    Complete,
    Reject,
    RemoveSigner,
    Resubmit,
    Return,
    TimerFired,
    Transfer,
    Urge,
    Withdraw,
)
from .definition import Definition
from .directory import CALENDAR_DAYS, Directory, WorkCalendar
from .effects import Event, Outcome
from .flow import Work, go
from .resolve import chosen_for
from .route import check_route
from .state import InstanceState, Status
from .values import FormData


def start(definition: Definition, *, initiator_id: int, form: Mapping[str, object],
          now: datetime, directory: Directory, instance_urgent: bool = False,
          chosen_approvers: Mapping[str, Sequence[int]] | None = None,
          calendar: WorkCalendar = CALENDAR_DAYS) -> Outcome:
    """Submit a new instance and run it up to the first tasks.

    Args:
        definition: the published version the instance pins.
        initiator_id: who submits; they are the instance's initiator from now on.
        form: submitted values (Decimal and dates are stored as strings).
        now: submission time; deadlines count from when each task opens.
        directory: org look-ups.
        instance_urgent: 加急 — deadlines use the nodes' `urgent_hours`.
        chosen_approvers: {node_id: [user ids]} for nodes whose approvers the initiator picks.
        calendar: adds working days for `deadline.working_days`.

    Raises:
        NoApprover: a node on the predicted route resolves to nobody under `refuse`.
        NotAllowed: `chosen_approvers` names a node that takes no picks or is out of range.
    """
    chosen = chosen_for(definition, chosen_approvers or {}, directory, initiator_id)
    form_data = FormData.from_mapping(form)
    check_route(definition, initiator_id, form_data, chosen, directory)
    state = InstanceState(status=Status.RUNNING, initiator_id=initiator_id, form=form_data,
                          submitted_at=now, is_urgent=instance_urgent, chosen=chosen,
                          participants=frozenset({initiator_id}))
    work = Work(definition, state, now=now, directory=directory, calendar=calendar)
    work.emit(Event("workflow.instance.submitted", actor_id=initiator_id))
    go(work, definition.root.id)
    return work.freeze()


def advance(definition: Definition, state: InstanceState, command: Command, *, now: datetime,
            directory: Directory, calendar: WorkCalendar = CALENDAR_DAYS) -> Outcome:
    """Apply one command and return the new state with its effects and events.

    The input state is never modified. A refused command raises and changes nothing:
    IllegalCommand when it does not fit the current state (already handled, finished),
    NotAllowed when the actor may not do it or required input is missing, NoApprover when
    the route reaches a `refuse` node with nobody to assign. A stale `TimerFired` returns the
    state unchanged with no effects and no events.
    """
    work = Work(definition, state, now=now, directory=directory, calendar=calendar)
    match command:
        case Approve():
            decide.approve(work, command)
        case Reject():
            decide.reject(work, command)
        case Return():
            decide.send_back(work, command)
        case Complete():
            decide.complete(work, command)
        case Transfer():
            decide.transfer(work, command)
        case AddSigner():
            decide.add_signer(work, command)
        case RemoveSigner():
            decide.remove_signer(work, command)
        case Resubmit():
            manage.resubmit(work, command)
        case Withdraw():
            manage.withdraw(work, command)
        case Urge():
            manage.urge(work, command)
        case Comment():
            manage.comment(work, command)
        case AdminReassign():
            manage.admin_reassign(work, command)
        case AdminSkip():
            manage.admin_skip(work, command)
        case AdminTerminate():
            manage.admin_terminate(work, command)
        case AdminRestartFrom():
            manage.admin_restart_from(work, command)
        case TimerFired():
            if not manage.timer_fired(work, command):
                return Outcome(state)
    return work.freeze()


def status_text(definition: Definition, state: InstanceState) -> str:
    """What the item shows as its status: the active nodes while running ("财务审核中"),
    otherwise the status label ("已通过")."""
    if state.status is not Status.RUNNING:
        return state.status.label
    names = [node.name for node_id in state.active_nodes
             if (node := definition.find(node_id)) is not None]
    return "、".join(name + ("中" if name.endswith(_VERBS) else "审批中") for name in names)


_VERBS = ("审核", "审批", "办理", "备案", "会签", "确认")
