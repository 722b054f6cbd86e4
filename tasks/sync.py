"""Incremental sync: `GET /api/{user_id}/tasks/changes?since=<cursor>`.

A page lists, oldest change first, the tasks created or changed after the cursor and the ids
of the tasks deleted after it, with `next_cursor` for the next call. The cursor is a change
number from the user's ledger (see UserTaskCount), not a timestamp: every change of a user's
task takes the next number while holding a lock on the user's ledger row until it commits,
so numbers become visible in order. A reader that has seen change N will never later find a
committed change numbered below N, which is what makes "everything after N" complete. With
timestamps, two writes in the same millisecond, or a transaction that took its timestamp
first but committed last, would slip behind a cursor that had already passed them.

Each task appears at most once per walk position, at its latest change; a deleted task
appears as its id while its tombstone lasts (TOMBSTONE_RETENTION_DAYS). A cursor older
than that, or older than a purged tombstone, answers 410: the client must resync.
"""

import base64
import binascii
import json
import time
from dataclasses import dataclass

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from taskapi.exceptions import CursorExpired
from taskapi.query import QueryParameters
from tasks.fields import QueryIntegerField
from tasks.models import Task, UserTaskCount

MAX_LIMIT = 1000


@dataclass(frozen=True)
class SyncCursor:
    """A position in a user's change history, and when it was handed out."""

    change: int
    issued_at: int

    def encode(self) -> str:
        raw = json.dumps({"c": self.change, "t": self.issued_at}, separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def at(cls, change: int) -> "SyncCursor":
        return cls(change, int(time.time()))

    @classmethod
    def decode(cls, text: str) -> "SyncCursor":
        try:
            fields = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
            change, issued_at = fields["c"], fields["t"]
        except (binascii.Error, UnicodeDecodeError, ValueError, TypeError, KeyError):
            raise ValueError("not a sync cursor") from None
        if not all(type(value) is int and 0 <= value < 2**62 for value in (change, issued_at)):
            raise ValueError("not a sync cursor")
        return cls(change, issued_at)


@extend_schema_field(
    {"type": "string", "description": "`next_cursor` from your previous sync; omit for a full one."}
)
class SyncCursorField(serializers.Field):
    default_error_messages = {"invalid": "Not a sync cursor this API gave out."}

    def to_internal_value(self, data) -> SyncCursor:
        if not isinstance(data, str) or len(data) > 256:
            self.fail("invalid")
        try:
            return SyncCursor.decode(data)
        except ValueError:
            self.fail("invalid")

    def to_representation(self, value: SyncCursor) -> str:
        return value.encode()


class ChangesQuery(QueryParameters):
    since = SyncCursorField(required=False)
    limit = QueryIntegerField(min_value=1, max_value=MAX_LIMIT, default=100)


def check_not_expired(cursor: SyncCursor, user_id) -> None:
    """410 for a cursor that may have missed a deletion whose tombstone is gone."""
    retention = settings.TOMBSTONE_RETENTION_DAYS * 86_400
    if cursor.issued_at < time.time() - retention:
        raise CursorExpired()
    purged_through = (
        UserTaskCount.objects.filter(user_id=user_id)
        .values_list("purged_through", flat=True)
        .first()
    )
    if purged_through and cursor.change < purged_through:
        raise CursorExpired()


def changes_page(user_id, since: SyncCursor | None, limit: int, fields: list[str]) -> dict:
    """The page of changes after `since` (everything live, without it)."""
    rows = Task.objects.filter(user_id=user_id)
    if since is None:
        rows = rows.live()
    else:
        check_not_expired(since, user_id)
        rows = rows.filter(change_seq__gt=since.change)
    page = list(
        rows.order_by("change_seq").values(*fields, "deleted_at", "change_seq")[: limit + 1]
    )
    has_more = len(page) > limit
    page = page[:limit]
    if page:
        position = page[-1]["change_seq"]
    elif since is not None:
        position = since.change
    else:
        position = (
            UserTaskCount.objects.filter(user_id=user_id)
            .values_list("last_change", flat=True)
            .first()
            or 0
        )
    tasks, deleted = [], []
    for row in page:
        row.pop("change_seq")
        if row.pop("deleted_at") is None:
            tasks.append(row)
        else:
            deleted.append(row["id"])
    return {
        "tasks": tasks,
        "deleted": deleted,
        "next_cursor": SyncCursor.at(position).encode(),
        "has_more": has_more,
    }
