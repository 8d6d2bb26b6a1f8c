"""Sign in with employee number, phone or e-mail (whichever the person types)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db.models import Q
from django.http import HttpRequest

from .models import User


class IdentifierBackend(ModelBackend):
    """ModelBackend that looks the identifier up in employee_no, phone and email.

    Disabled users never authenticate, and their existing sessions stop resolving
    (`ModelBackend.get_user` checks `is_active`).
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if not username or not password:
            return None
        identifier = username.strip()
        matches = list(
            User.objects.filter(
                Q(employee_no=identifier) | Q(phone=identifier) | Q(email__iexact=identifier)
            )[:2]
        )
        if len(matches) != 1:
            User().set_password(password)  # same work as a real check, against timing probes
            return None
        user = matches[0]
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
