from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tandem.audit.chain import HASHED_FIELDS, first_break
from tandem.audit.models import AuditChainHead, AuditEvent


class Command(BaseCommand):
    help = "Check the audit trail's hash chain; report the first broken link and exit non-zero."

    def handle(self, *args: Any, **options: Any) -> None:
        head = AuditChainHead.objects.filter(pk=1).first()
        head_seq, head_hash = (head.last_seq, head.last_hash) if head else (0, "0" * 64)
        rows = (
            AuditEvent.objects.order_by("seq")
            .values(*HASHED_FIELDS, "prev_hash", "hash")
            .iterator(chunk_size=2000)
        )
        broken = first_break(rows, head_seq, head_hash)
        if broken is not None:
            raise CommandError(str(broken))
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {head_seq} events verified."))
