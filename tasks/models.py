"""A user's task, the rules that keep its state consistent, and the per-user ledger that
counts tasks and numbers their changes."""

import uuid

from django.conf import settings
from django.contrib.postgres.indexes import OpClass
from django.db import models
from django.db.models import Value
from django.db.models.functions import Coalesce, Length, Trim, Upper
from django.db.models.lookups import GreaterThan
from django.utils import timezone

from taskapi.postgres_only import PostgresOnlyGinIndex
from taskapi.returning import ReturningQuerySet
from tasks.etags import task_etag

LIVE = models.Q(deleted_at__isnull=True)
TITLE_MAX_LENGTH = 255
DESCRIPTION_MAX_LENGTH = 2000
# What TaskQuerySet.search() looks in, and what task_search_trgm_idx indexes.
SEARCH_FIELDS = ("title", "description")


class OwnedQuerySet(models.QuerySet):
    """Rows that belong to one user. Every lookup on behalf of a request starts here, so
    whose rows a query may see is spelled once."""

    def owned_by(self, user_id) -> "OwnedQuerySet":
        return self.filter(user_id=user_id)


class TaskQuerySet(OwnedQuerySet, ReturningQuerySet):
    def live(self) -> "TaskQuerySet":
        """Tasks that are not deleted: what every route but the changes feed sees."""
        return self.filter(LIVE)

    def search(self, term: str) -> "TaskQuerySet":
        """Tasks whose title or description contains `term`, ignoring case: Django's
        `icontains`, so `%`, `_` and `\\` match themselves, on every database.

        On PostgreSQL `icontains` is `UPPER(column::text) LIKE UPPER(pattern)`, and
        task_search_trgm_idx indexes exactly those UPPER() expressions, so the planner can
        use it (an index on the bare columns could not serve this query). A term under three
        characters has no trigram to look up: the index then narrows by owner only, and the
        rows are checked one by one, still correctly.
        """
        condition = models.Q()
        for field in SEARCH_FIELDS:
            condition |= models.Q(**{f"{field}__icontains": term})
        return self.filter(condition)

    def at_versions(self, versions: set[int] | None) -> "TaskQuerySet":
        """The tasks among these at one of `versions` (what an If-Match names); all of them
        when `versions` is None (no condition). Written into the same statement as the
        write it guards, so no racing writer can come between the check and the write."""
        return self if versions is None else self.filter(version__in=versions)

    def delete_as_tombstones(self) -> int:
        """Marks the tasks deleted, leaving tombstones for the changes feed; returns how many."""
        now = timezone.now()
        return self.live().update(deleted_at=now, updated_at=now, version=models.F("version") + 1)

    def apply_changes(self, changes: dict) -> list["Task"]:
        """Writes `changes` (field: new value) to the live tasks among these that differ in
        any of them, with the next version; returns the tasks as written (every field but
        `change_seq` loaded), none if nothing was written.

        One UPDATE, so a condition on the queryset (the version an If-Match names) and the
        write cannot be split by another writer, and it returns the rows it wrote, so no
        read follows. Only the fields given are written, so a concurrent change to another
        field survives; a task that has every value already is not written at all, and
        keeps its version and `updated_at`. `completed` brings `completed_at` along, by the
        rule of Task.mark_completed.
        """
        if not changes:
            return []
        now = timezone.now()
        differs = models.Q()
        for field, value in changes.items():
            differs |= ~models.Q(**{field: value})
        values = dict(changes)
        if "completed" in values:
            values.update(Task.completion_values(values["completed"], now))
        values.update(updated_at=now, version=models.F("version") + 1)
        # SQLite's trigger numbers the change only after the row is written, too late for
        # RETURNING to see it.
        return self.filter(LIVE, differs).update_returning(values, deferred={"change_seq"})


class Task(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Every composite index below leads with the owner, so they serve this foreign key too.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tasks", db_index=False
    )
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    description = models.TextField(max_length=DESCRIPTION_MAX_LENGTH, null=True, blank=True)
    due_date = models.DateTimeField(null=True, blank=True)
    completed = models.BooleanField(default=False)
    completed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    # 1 on create, +1 on every change: the ETag, and the If-Match check, rest on it.
    version = models.PositiveIntegerField(default=1, db_default=1, editable=False)
    # The number of this task's latest change, set by a database trigger (migrations 0003
    # and 0006) under a lock on the owner's ledger row; the changes feed reads it.
    change_seq = models.BigIntegerField(default=0, db_default=0, editable=False)
    # Set when the task is deleted: the row stays as a tombstone for the changes feed, and
    # every other route treats it as gone. Purged after TOMBSTONE_RETENTION_DAYS.
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = models.Manager.from_queryset(TaskQuerySet)()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=GreaterThan(Length(Trim("title")), 0), name="task_title_not_blank"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(completed=True, completed_at__isnull=False)
                    | models.Q(completed=False, completed_at__isnull=True)
                ),
                name="task_completed_at_iff_completed",
            ),
        ]
        # Every list query reads live tasks only, so its indexes leave tombstones out.
        indexes = [
            models.Index(
                fields=["user", "created_at", "id"], name="task_user_created_idx", condition=LIVE
            ),
            models.Index(
                fields=["user", "updated_at", "id"], name="task_user_updated_idx", condition=LIVE
            ),
            models.Index(
                fields=["user", "due_date", "id"], name="task_user_due_idx", condition=LIVE
            ),
            models.Index(
                fields=["user", "completed", "created_at", "id"],
                name="task_user_status_idx",
                condition=LIVE,
            ),
            models.Index(
                fields=["user", "completed_at", "id"],
                name="task_user_completed_at_idx",
                condition=LIVE,
            ),
            models.Index(fields=["user", "change_seq"], name="task_user_change_idx"),
            models.Index(
                fields=["deleted_at"],
                name="task_tombstone_idx",
                condition=models.Q(deleted_at__isnull=False),
            ),
            # Search (TaskQuerySet.search), on PostgreSQL with pg_trgm and btree_gin
            # (migration 0007); SQLite has neither, and scans the owner's rows.
            # - The owner's id comes first, so one user's matches are found among their own
            #   tasks, not among everyone's: without it a user with 500 tasks searching a
            #   common word would read every user's matches.
            # - Not partial, unlike the indexes above: PostgreSQL takes statistics for an
            #   index's expressions (here UPPER(title), UPPER(description)) only from an
            #   index without a condition, and without them it guesses that a common word
            #   matches a handful of rows, and sorts 23,000 matches of the 100,000-task user
            #   for a first page it could read off task_user_created_idx in 90 rows.
            PostgresOnlyGinIndex(
                models.F("user"),
                *(OpClass(Upper(field), name="gin_trgm_ops") for field in SEARCH_FIELDS),
                name="task_search_trgm_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def etag(self) -> str:
        return task_etag(self.id, self.version)

    def mark_completed(self, done: bool) -> None:
        """Sets `completed`, keeping `completed_at` right.

        Completing stamps the time once: completing an already completed task keeps the
        first stamp. Reopening clears it.
        """
        if done and not self.completed:
            self.completed_at = timezone.now()
        elif not done:
            self.completed_at = None
        self.completed = done

    @staticmethod
    def completion_values(done: bool, now) -> dict:
        """`completed` and `completed_at` as UPDATE values: mark_completed's rule, applied
        by the database to the row as it is when written (a completed task keeps its
        stamp)."""
        if not done:
            return {"completed": False, "completed_at": None}
        return {"completed": True, "completed_at": Coalesce("completed_at", Value(now))}


class TaskLedger(models.Model):
    """A user's task ledger: how many live tasks they have and how many are completed, the
    number of their latest task change, and how far their tombstones have been purged.

    Database triggers (migrations 0002, 0003 and 0006) keep it in the same transaction as
    every insert, change, deletion or purge of a task, whatever makes it: the API, the admin,
    a bulk statement or raw SQL. Nothing in the application writes the counts or
    `last_change`. On SQLite, a migration that rebuilds tasks_task (most column changes do)
    drops its triggers, so such a migration must create them again, as 0003 does.

    - A list without filters other than `status` reads its total here instead of counting
      the user's rows (18 ms for a user with 100,000 tasks).
    - Every change of a task takes a change number for its `change_seq` while holding a
      lock on this row until the transaction ends, so one user's changes become visible in
      the order of their numbers, and `last_change` is the highest committed (the argument
      is in tasks/sync.py). That is what lets the changes feed use the number as a cursor
      without missing or repeating a change.
    - On PostgreSQL the counts and `last_change` are adjusted once per statement, from the
      statement's transition tables, and the numbers come from one sequence: a statement
      over N tasks costs O(N) (40,000 in about 1.5x the time of the same INSERT into a
      table without triggers; see bench/README.md). On SQLite row triggers do it, with
      numbers counted per user.
    - `purged_through` is the highest change number of a purged tombstone: a sync cursor
      from before it may have missed a deletion, and is refused (unless the deletion came
      before the client's full sync began; see tasks/sync.py).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="task_ledger",
    )
    total = models.IntegerField(default=0)
    completed = models.IntegerField(default=0)
    last_change = models.BigIntegerField(default=0, db_default=0)
    purged_through = models.BigIntegerField(default=0, db_default=0)

    objects = models.Manager.from_queryset(OwnedQuerySet)()

    class Meta:
        # The table keeps the model's first name: the triggers of migrations 0003 and 0006
        # write to it by that name.
        db_table = "tasks_usertaskcount"

    def __str__(self) -> str:
        return f"{self.user_id}: {self.completed}/{self.total} completed"


class IdempotentRequest(models.Model):
    """A create request made with an `Idempotency-Key`, and the answer it got.

    A retry with the same key and body gets the same answer instead of a second task; the
    record lives IDEMPOTENCY_KEY_TTL_HOURS (24) and `purge_expired` removes it after that.
    Kept in the database so it holds across workers, instances and restarts.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the request body.")
    status_code = models.PositiveSmallIntegerField()
    # JSON text, not a JSONField: PostgreSQL's jsonb would reorder the keys, and a replay
    # must be byte for byte the first answer.
    response_body = models.TextField()
    location = models.CharField(max_length=2048, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = models.Manager.from_queryset(OwnedQuerySet)()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotent_request_user_key"),
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotent_request_created_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.key}"
