"""Settings for the SQLite race processes: the test settings on a file database (the WAL,
IMMEDIATE and busy-timeout options come from base), tables created straight from the models
instead of replaying every migration, so the test stays quick."""

from config.settings.test import *  # noqa: F403


class _NoMigrations(dict[str, None]):
    def __contains__(self, item: object) -> bool:
        return True

    def __getitem__(self, item: str) -> None:
        return None


MIGRATION_MODULES = _NoMigrations()
