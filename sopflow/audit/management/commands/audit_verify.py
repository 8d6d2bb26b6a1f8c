"""`manage.py audit_verify`: check the audit hash chain; exit 1 naming the first broken row."""

from django.core.management.base import BaseCommand, CommandError

from sopflow.audit.queries import verify_chain


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain and report the first broken row."

    def handle(self, *args: object, **options: object) -> None:
        result = verify_chain()
        if not result.ok:
            raise CommandError(
                f"审计链校验失败：第 {result.broken_event_id} 号记录（id={result.broken_event_id}）— "
                f"{result.reason}。此前 {result.checked} 条记录完好。"
            )
        self.stdout.write(self.style.SUCCESS(f"审计链完好：共校验 {result.checked} 条记录。"))
