"""Create the single chain-head row up front, so the very first concurrent writers lock an
existing row instead of racing to insert it."""

from django.db import migrations


def create_head(apps, schema_editor):
    AuditChainHead = apps.get_model("audit", "AuditChainHead")
    AuditEvent = apps.get_model("audit", "AuditEvent")
    if AuditChainHead.objects.filter(pk=1).exists():
        return
    last = AuditEvent.objects.order_by("-pk").first()
    AuditChainHead.objects.create(
        pk=1,
        last_hash=last.hash if last else "0" * 64,
        last_event_id=last.pk if last else 0,
    )


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_initial")]

    operations = [migrations.RunPython(create_head, migrations.RunPython.noop)]
