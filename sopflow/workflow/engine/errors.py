"""Errors the engine raises. Messages are Chinese and safe to show to the user as they are."""


class WorkflowError(Exception):
    """Base class: the command or definition was refused and nothing changed."""


class DefinitionError(WorkflowError, ValueError):
    """The definition JSON is malformed; the message names the offending node."""


class IllegalCommand(WorkflowError):
    """The command does not fit the instance's current state (already handled, finished, stale)."""


class NotAllowed(WorkflowError):
    """The actor may not do this here, the action is disabled, or required input is missing."""


class NoApprover(NotAllowed):
    """A node whose nobody-found policy is `refuse` resolved to nobody."""
