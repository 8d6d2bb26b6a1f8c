"""Pure approval workflow engine: `start`/`advance` over a definition tree. No Django, no I/O.

The public API is re-exported here because this package is the contract the Django side is
written against; see README.md.
"""

from .commands import (
    INITIATOR,
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
    ResubmitTo,
    Return,
    SignerPosition,
    TimerFired,
    Transfer,
    Urge,
    Withdraw,
)
from .definition import Definition
from .directory import CALENDAR_DAYS, CalendarDays, Directory, WorkCalendar
from .effects import (
    CancelTimer,
    CloseTask,
    Effect,
    Event,
    Finish,
    Notify,
    NotifyCC,
    NotifyKind,
    OpenTask,
    Outcome,
    ResumeTask,
    ScheduleTimer,
    SuspendTask,
    effect_to_dict,
)
from .errors import DefinitionError, IllegalCommand, NoApprover, NotAllowed, WorkflowError
from .machine import advance, start, status_text
from .nodes import Action, Mode, NodeKind, RuleType
from .resolve import Candidate, Context, candidates
from .route import (
    PERSON_DEPARTMENT_SUFFIX,
    RouteAssignee,
    RouteStep,
    membership,
    operand_resolver,
    preview_route,
)
from .state import InstanceState, Resumption, Status, Task, TaskStatus
from .values import FieldChange, FormData, JsonValue

__all__ = [
    "Action", "AddSigner", "AdminReassign", "AdminRestartFrom", "AdminSkip", "AdminTerminate",
    "Approve", "CALENDAR_DAYS", "CalendarDays", "CancelTimer", "Candidate", "CloseTask", "Command",
    "Comment", "Complete", "Context", "Definition", "DefinitionError", "Directory", "Effect",
    "Event", "FieldChange", "Finish", "FormData", "INITIATOR", "IllegalCommand", "InstanceState",
    "JsonValue", "Mode", "NoApprover", "NodeKind", "NotAllowed", "Notify", "NotifyCC",
    "NotifyKind", "OpenTask", "Outcome", "PERSON_DEPARTMENT_SUFFIX", "Reject", "RemoveSigner",
    "Resubmit", "ResubmitTo", "ResumeTask", "Resumption", "Return", "RouteAssignee", "RouteStep",
    "RuleType", "ScheduleTimer",
    "SignerPosition", "Status", "SuspendTask", "Task", "TaskStatus", "TimerFired", "Transfer",
    "Urge", "Withdraw", "WorkCalendar", "WorkflowError", "advance", "candidates", "effect_to_dict",
    "membership", "operand_resolver", "preview_route", "start", "status_text",
]
