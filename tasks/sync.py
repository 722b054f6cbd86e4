"""Incremental sync: `GET /api/{user_id}/tasks/changes?since=<cursor>`.

A page lists, oldest change first, the tasks created or changed after the cursor and the ids
of the tasks deleted after it, with `next_cursor` for the next call. The cursor is a change
number (see TaskLedger), not a timestamp. With timestamps, two writes in the same
millisecond, or a transaction that took its timestamp first but committed last, would slip
behind a cursor that had already passed them.

Why a user's change numbers become visible in order (migration 0006):
- A trigger numbers each changed row, before it is written, with the next value of one
  sequence, and only once it holds a row lock on the owner's ledger row. The lock is held
  until the transaction ends, so two transactions that change one user's tasks never number
  them at the same time: the second takes its first number after the first has committed
  (or rolled back), and the sequence only goes up, so all its numbers are higher.
- The ledger's `last_change` is raised to the statement's highest number by the same
  transaction, at the end of each statement, and so commits together with the rows.
- Hence, once a reader sees `last_change` = L, every change of that user numbered up to L
  has committed, and every later change will be numbered above L: a reader that has seen
  change N will never later find a committed change numbered below N, which is what makes
  "everything after N" complete. Numbers are unique per user (they are unique overall), not
  consecutive; a cursor only compares them. (SQLite numbers per user under its single
  writer lock, which gives the same guarantee.)
- One statement over many tasks takes one number per task and writes the ledger once, so a
  bulk import, a rename over all tasks or a purge costs time linear in its rows.

Every page is read against one snapshot of the ledger, L, its `last_change` read first:
- Because numbers become visible in order, every change numbered up to L has committed by
  the time L is read, so the rows read next show all of them. Rows numbered above L (changes
  committed in between) are left for the next call, so a cursor never passes a change its
  page did not show.
- The last page of a walk hands out L itself, the user's latest change as of that snapshot,
  not the number of the last row it listed: changes numbered above that row and up to L can
  only be deletions of tasks the page did not list (a full sync lists live tasks only), and
  a cursor below them would replay them, or, once their tombstones are purged, answer 410
  forever.
- A full sync (no `since`) lists the live tasks numbered up to L. When it takes several
  pages, the walk goes on with `since`, and the pages after the first may list deletions
  numbered between the first page's last row and L: tasks deleted before the full sync
  began, which the client never received. Removing a task one does not hold is a no-op, so
  they are harmless, and clients must ignore an unknown id in `deleted`.

Each task appears at most once per walk position, at its latest change; a deleted task
appears as its id while its tombstone lasts (TOMBSTONE_RETENTION_DAYS). A cursor that may
have missed a deletion whose tombstone is gone answers 410 (see check_not_expired): the
client must resync.
"""

import time
from dataclasses import dataclass

from django.conf import settings
from django.db.models import OuterRef, Subquery

from taskapi.cursors import CursorField, decode_cursor, encode_cursor
from taskapi.exceptions import CursorExpired
from taskapi.fields import QueryIntegerField
from taskapi.query import QueryParameters
from tasks.models import Task, TaskLedger
from tasks.serializers import TASK_COLUMNS

MAX_LIMIT = 1000


@dataclass(frozen=True)
class SyncCursor:
    """A position in a user's change history, and when it was handed out.

    `unseen_through` is set while a full sync is being paged: every deletion numbered up to
    it is of a task that was already gone when the full sync began, so the client cannot
    hold it and missing that deletion loses nothing (see check_not_expired). It is 0 for a
    cursor that holds everything up to `change`.
    """

    change: int
    issued_at: int
    unseen_through: int = 0

    def encode(self) -> str:
        fields = {"c": self.change, "t": self.issued_at}
        if self.unseen_through > self.change:
            fields["u"] = self.unseen_through
        return encode_cursor(fields)

    @classmethod
    def at(cls, change: int, unseen_through: int = 0) -> "SyncCursor":
        return cls(change, int(time.time()), unseen_through)

    @classmethod
    def decode(cls, text: str) -> "SyncCursor":
        fields = decode_cursor(text)
        try:
            values = (fields["c"], fields["t"], fields.get("u", 0))
        except (TypeError, KeyError):
            raise ValueError("not a sync cursor") from None
        if not all(type(value) is int and 0 <= value < 2**62 for value in values):
            raise ValueError("not a sync cursor")
        return cls(*values)


class ChangesQuery(QueryParameters):
    since = CursorField(
        SyncCursor,
        max_length=256,
        required=False,
        error_messages={"invalid": "Not a sync cursor this API gave out."},
        help_text="`next_cursor` from your previous sync; omit for a full one.",
    )
    limit = QueryIntegerField(min_value=1, max_value=MAX_LIMIT, default=100)


@dataclass(frozen=True)
class LedgerSnapshot:
    """The user's ledger as one sync page reads it, before it reads any task."""

    last_change: int
    purged_through: int

    @classmethod
    def read(cls, user_id) -> "LedgerSnapshot":
        row = (
            TaskLedger.objects.owned_by(user_id)
            .values_list("last_change", "purged_through")
            .first()
        )
        return cls(*(row or (0, 0)))


def check_not_expired(cursor: SyncCursor, purged_through: int) -> None:
    """410 for a cursor that may have missed a deletion whose tombstone is gone.

    A purged tombstone numbered above the cursor's change is a deletion the client was never
    told of, unless it is numbered within `unseen_through`: then the task was gone before
    the client's full sync began, and the client never held it. Only a cursor that could
    hold a task whose deletion is no longer on record is refused.
    """
    retention = settings.TOMBSTONE_RETENTION_DAYS * 86_400
    if cursor.issued_at < time.time() - retention:
        raise CursorExpired()
    if purged_through > max(cursor.change, cursor.unseen_through):
        raise CursorExpired()


def changes_page(user_id, since: SyncCursor | None, limit: int) -> dict:
    """The page of changes after `since` (every live task, without it), as of one snapshot
    of the user's ledger (see the module docstring for why it is read first).

    A purge may commit between the ledger's read and the rows', taking tombstones this page
    would have listed, so an incremental page checks the cursor again against the
    `purged_through` its rows were read with: a page either lists a deletion or is refused.
    A client polling when nothing changed costs one query.
    """
    ledger = LedgerSnapshot.read(user_id)
    rows = Task.objects.owned_by(user_id).filter(change_seq__lte=ledger.last_change)
    columns = [*TASK_COLUMNS, "deleted_at", "change_seq"]
    if since is None:
        rows, after, unseen_through = rows.live(), 0, ledger.last_change
    else:
        check_not_expired(since, ledger.purged_through)
        rows = rows.filter(change_seq__gt=since.change).annotate(
            purged_through=Subquery(
                TaskLedger.objects.owned_by(OuterRef("user_id")).values("purged_through")
            )
        )
        columns.append("purged_through")
        after, unseen_through = since.change, since.unseen_through
    page = []
    if ledger.last_change > after:
        page = list(rows.order_by("change_seq").values(*columns)[: limit + 1])
        if since is not None:
            check_not_expired(
                since,
                page[0]["purged_through"] if page else LedgerSnapshot.read(user_id).purged_through,
            )
    has_more = len(page) > limit
    page = page[:limit]
    if has_more:
        cursor = SyncCursor.at(page[-1]["change_seq"], unseen_through)
    else:
        cursor = SyncCursor.at(ledger.last_change)
    tasks, deleted = [], []
    for row in page:
        row.pop("change_seq")
        row.pop("purged_through", None)
        if row.pop("deleted_at") is None:
            tasks.append(row)
        else:
            deleted.append(row["id"])
    return {
        "tasks": tasks,
        "deleted": deleted,
        "next_cursor": cursor.encode(),
        "has_more": has_more,
    }
