"""`manage.py purge_expired`: removes tombstones and idempotency records past their keep.

Run it from cron (daily is plenty). Tombstones older than TOMBSTONE_RETENTION_DAYS go, and
each user's ledger records the highest change number purged, so a sync cursor from before
it answers 410 instead of silently missing a deletion. Idempotency records older than
IDEMPOTENCY_KEY_TTL_HOURS go too.
"""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Max
from django.db.models.functions import Greatest
from django.utils import timezone

from tasks.models import IdempotentRequest, Task, TaskLedger


class Command(BaseCommand):
    help = "Purge tombstones and idempotency records older than their retention."

    def handle(self, *args, **options):
        now = timezone.now()
        tombstone_cutoff = now - timedelta(days=settings.TOMBSTONE_RETENTION_DAYS)
        with transaction.atomic():
            expired = Task.objects.filter(deleted_at__lt=tombstone_cutoff)
            for row in expired.values("user_id").annotate(through=Max("change_seq")):
                TaskLedger.objects.owned_by(row["user_id"]).update(
                    purged_through=Greatest("purged_through", row["through"])
                )
            tombstones, _ = expired.delete()
        key_cutoff = now - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
        keys, _ = IdempotentRequest.objects.filter(created_at__lt=key_cutoff).delete()
        self.stdout.write(f"Purged {tombstones} tombstones and {keys} idempotency records.")
