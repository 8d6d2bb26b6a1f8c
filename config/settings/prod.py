"""Production: secrets required, HTTPS assumed behind a reverse proxy."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = False
if (
    os.environ.get("SECRET_KEY", "").startswith("dev-only")
    or len(os.environ.get("SECRET_KEY", "")) < 50
):
    raise ImproperlyConfigured("Set SECRET_KEY to a random value of at least 50 characters.")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 31536000))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# HSTS preload is a per-domain commitment the operator opts into (SECURE_HSTS_PRELOAD=true).
SILENCED_SYSTEM_CHECKS = ["security.W021"]
