"""Settings read from the environment (evaluated in a subprocess so the test process is untouched)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _settings_with(env: dict[str, str], expression: str) -> object:
    code = ("import json, django; from django.conf import settings; django.setup(); "
            f"print(json.dumps({expression}, default=str))")
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.dev", **env},
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_files_are_stored_on_local_disk_by_default() -> None:
    storage = _settings_with({"FILE_STORAGE": "django.core.files.storage.FileSystemStorage"},
                             'settings.STORAGES["default"]')

    assert storage == {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {}}


def test_s3_compatible_storage_is_configured_from_the_environment() -> None:
    storage = _settings_with({
        "FILE_STORAGE": "storages.backends.s3.S3Storage", "S3_BUCKET": "sop-files",
        "S3_ENDPOINT_URL": "http://127.0.0.1:9000", "S3_ACCESS_KEY_ID": "key",
        "S3_SECRET_ACCESS_KEY": "secret",
    }, 'settings.STORAGES["default"]')

    assert storage == {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
        "bucket_name": "sop-files", "endpoint_url": "http://127.0.0.1:9000", "region_name": None,
        "access_key": "key", "secret_key": "secret", "location": "sopflow", "default_acl": "private",
        "querystring_auth": True, "file_overwrite": False}}


def test_postgresql_is_used_when_database_url_says_so() -> None:
    database = _settings_with({"DATABASE_URL": "postgres://u:p@db.example:5432/sop"},
                              'settings.DATABASES["default"]["ENGINE"]')

    assert database == "django.db.backends.postgresql"
