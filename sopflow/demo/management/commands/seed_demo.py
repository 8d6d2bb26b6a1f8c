"""`manage.py seed_demo`: create the demo company once (no-op when it exists)."""

from django.core.management.base import BaseCommand

from sopflow.demo.seed import DEMO_PASSWORD, demo_exists, seed_demo


class Command(BaseCommand):
    help = "Create the demo company 华启科技 with ~45 employees (idempotent)."

    def handle(self, *args: object, **options: object) -> None:
        if demo_exists():
            self.stdout.write("demo company already present")
            return
        company = seed_demo(activity=True)
        self.stdout.write(
            self.style.SUCCESS(f"demo company created: {company.name} (password {DEMO_PASSWORD})")
        )
