"""Audit rows for sign-in, sign-out and failed sign-in.

Django and django-axes announce these only through signals, so the receivers here are the
documented exception to "no signals" (docs/decisions/0003): they record, they decide nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.dispatch import receiver

from sopflow.audit.services import record


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
def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    username = str(credentials.get("username", ""))[:60]
    with transaction.atomic():
        record(actor=None, actor_label=username or "匿名", action="accounts.session.login_failed",
               changes={"username": username})
