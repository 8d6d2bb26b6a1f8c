"""Personal access tokens for the REST API. Only a SHA-256 hash of the secret is stored."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sopflow.core.clock import clock


class ApiToken(models.Model):
    """`sop_<prefix>_<secret>`: shown once at creation; `prefix` finds the row, the hash proves it.

    A token works only while it is not revoked, not expired and its owner is active.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("名称"), max_length=60)
    prefix = models.CharField(max_length=12, unique=True)
    secret_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"{self.name} (sop_{self.prefix}_…)"

    @property
    def status(self) -> str:
        """`revoked`, `expired` or `active` (the owner's state is not considered here)."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= clock.now():
            return "expired"
        return "active"
