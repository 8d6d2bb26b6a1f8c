"""Read side of the bell: a person's notifications and unread count (one indexed COUNT)."""

from __future__ import annotations

from django.db.models import QuerySet

from sopflow.org.models import User

from .models import Notification, NotificationPreference


def unread_count(user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notifications_for(user: User, *, unread_only: bool = False) -> QuerySet[Notification]:
    rows = Notification.objects.filter(recipient=user).select_related("actor")
    return rows.filter(read_at__isnull=True) if unread_only else rows


def preferences_for(user: User) -> dict[tuple[str, str], NotificationPreference]:
    return {(row.kind, row.channel): row for row in NotificationPreference.objects.filter(user=user)}
