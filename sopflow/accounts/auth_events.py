"""Audit rows for sign-in, sign-out and failed sign-in.

Django and django-axes announce these only through signals, so the receivers here are the
documented exception to "no signals" (docs/decisions/0003): they record, they decide nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.db.models import Q
from django.dispatch import receiver

from sopflow.audit.services import record
from sopflow.org.models import User


@receiver(user_logged_in, dispatch_uid="sopflow_audit_login")
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    with transaction.atomic():
        record(actor=user, action="accounts.session.logged_in", obj=user)


@receiver(user_logged_out, dispatch_uid="sopflow_audit_logout")
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is None:
        return
    with transaction.atomic():
        record(actor=user, action="accounts.session.logged_out", obj=user)


@receiver(user_login_failed, dispatch_uid="sopflow_audit_login_failed")
def _login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    """One row per failed attempt, including attempts refused because the account is locked.

    The row names the person the identifier belongs to (when exactly one does), so a company's
    auditors also see attacks on their own people.
    """
    username = str(credentials.get("username", ""))[:60]
    reason = "locked_out" if getattr(request, "axes_locked_out", False) else "bad_credentials"
    target = _person_named(username)
    with transaction.atomic():
        record(
            actor=None,
            actor_label=username or "匿名",
            action="accounts.session.login_failed",
            obj=target,
            company_id=target.company_id if target is not None else None,
            changes={"username": username, "reason": reason},
        )


def _person_named(identifier: str) -> User | None:
    identifier = identifier.strip()
    if not identifier:
        return None
    matches = list(
        User.objects.filter(
            Q(employee_no=identifier) | Q(phone=identifier) | Q(email__iexact=identifier)
        )[:2]
    )
    return matches[0] if len(matches) == 1 else None
