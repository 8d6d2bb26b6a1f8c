from sopflow.notify.tests.local_server import local_server  # noqa: F401  (fixture)
