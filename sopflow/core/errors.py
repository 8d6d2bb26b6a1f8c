"""Typed domain errors. Each has a stable `code` (for the API) and a message in the user's language.

Services raise these; `web` shows `message` next to the form, `api` turns them into JSON
`{"code": ..., "message": ..., "field": ...}` with the matching HTTP status.
"""

from __future__ import annotations

from typing import ClassVar


class DomainError(Exception):
    """Base for expected, user-facing failures. Never raised for programming errors."""

    status: ClassVar[int] = 400
    default_code: ClassVar[str] = "invalid"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        details: list[dict[str, object]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = str(message)
        self.code = code or self.default_code
        self.field = field
        self.details = details or []


class ValidationFailed(DomainError):
    status = 422
    default_code = "validation_failed"


class NotFound(DomainError):
    """Also used when the object exists but the user may not see it (no existence leak)."""

    status = 404
    default_code = "not_found"


class Forbidden(DomainError):
    status = 403
    default_code = "forbidden"


class Conflict(DomainError):
    """Someone else changed the object first; the caller's change was not applied."""

    status = 409
    default_code = "conflict"
