"""A user's task, the rules that keep its state consistent, its tags, and the per-user
ledger that counts tasks and numbers their changes."""

import json
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.contrib.postgres.indexes import OpClass
from django.db import connections, models, transaction
from django.db.models import Value
from django.db.models.functions import Coalesce, Length, Trim, Upper
from django.db.models.lookups import GreaterThan
from django.utils import timezone

from taskapi.postgres_only import PostgresOnlyGinIndex
from taskapi.returning import ReturningQuerySet
from tasks.etags import task_etag
from tasks.priorities import DEFAULT_PRIORITY, PRIORITIES, PriorityRank

LIVE = models.Q(deleted_at__isnull=True)
TITLE_MAX_LENGTH = 255
DESCRIPTION_MAX_LENGTH = 2000
TAG_NAME_MAX_LENGTH = 50
TAGS_PER_TASK = 20


def tag_key(name: str) -> str:
    """What tag names compare by: `Work`, `WORK` and `work` are one tag. Unicode's caseless
    match (NFKC, then case folding), computed here only, so both databases compare alike."""
    return unicodedata.normalize("NFKC", name).casefold()


class CompactJSONEncoder(json.JSONEncoder):
    """JSON as SQLite's own JSON functions write it: no spaces, non-ASCII as is. SQLite keeps
    a JSON column as text and compares it as text, so a task's tags must read the same
    whether Python wrote them (a task write) or SQL did (a tag's rename, TagNames)."""

    def __init__(self, **kwargs):
        super().__init__(**{**kwargs, "separators": (",", ":"), "ensure_ascii": False})


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
        if isinstance(changes.get("tags"), TagSet):
            if changes["tags"].names:
                return self._apply_changes_with_tags(changes)
            changes = {**changes, "tags": []}
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

    def _apply_changes_with_tags(self, changes: dict) -> list["Task"]:
        """apply_changes() for changes that name a task's tags: in one transaction, the tags
        named are created where new, then the tasks written as always (their `tags` then
        differ or not like any other field; triggers keep the links). A write that writes
        nothing (no change, a stale If-Match, a missing task) creates no tag either."""
        tag_set = changes["tags"]
        with transaction.atomic(using=self.db):
            tags = Tag.objects.using(self.db).named(tag_set.owner_id, tag_set.names)
            written = self.apply_changes({**changes, "tags": [tag.name for tag in tags]})
            if not written:
                transaction.set_rollback(True, using=self.db)
            return written

    def insert(self, task: "Task", tag_set: "TagSet") -> "Task":
        """Saves a new task carrying the tags `tag_set` names, created where new: two
        statements, the tags and the task (whose links triggers add)."""
        if not tag_set.names:
            task.save(force_insert=True, using=self.db)
            return task
        with transaction.atomic(using=self.db):
            tags = Tag.objects.using(self.db).named(tag_set.owner_id, tag_set.names)
            task.tags = [tag.name for tag in tags]
            task.save(force_insert=True, using=self.db)
        return task

    def carrying(self, tag) -> "TaskQuerySet":
        """The tasks among these that carry `tag`: a tag's id, or a query for one (see
        TaskFilter for which plans each gives). Each task is probed for a link to it by the
        (task, tag) index."""
        links = TaskTag.objects.filter(
            user_id=models.OuterRef("user_id"), task_id=models.OuterRef("pk"), tag_id=tag
        )
        return self.filter(models.Exists(links))

    def respell_tags(self) -> int:
        """Writes each live task's `tags` afresh from its links to existing tags, as a
        change: version and `updated_at` move and the changes feed reports it. One UPDATE,
        what a tag's rename or deletion makes of every task carrying it."""
        return self.live().update(
            tags=TagNames(),
            updated_at=timezone.now(),
            version=models.F("version") + 1,
        )


@dataclass(frozen=True)
class TagSet:
    """The tags a write names for a task: their owner and their names as sent (trimmed and
    without duplicates, see TaskSerializer). Resolved to Tag rows inside the write's
    transaction (TaskQuerySet.apply_changes, TaskQuerySet.insert)."""

    owner_id: object
    names: Sequence[str]


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
    priority = models.CharField(
        max_length=6,
        choices=[(level, level.capitalize()) for level in PRIORITIES],
        default=DEFAULT_PRIORITY,
        db_default=DEFAULT_PRIORITY,
    )
    # The names of the task's tags, in tag order (Tag): what it carries. Triggers keep its
    # links (TaskTag) from these names; kept here so that a task reads as one row, without a
    # join, wherever it is read (a page, the changes feed, the floor).
    tags = models.JSONField(
        default=list, db_default=Value("[]"), encoder=CompactJSONEncoder, editable=False
    )
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
            models.CheckConstraint(
                condition=models.Q(priority__in=PRIORITIES), name="task_priority_known"
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
            # sort=priority: the expression the list orders by (tasks/ordering.py).
            models.Index(
                models.F("user"),
                PriorityRank("priority"),
                models.F("id"),
                name="task_user_priority_idx",
                condition=LIVE,
            ),
            models.Index(fields=["user", "change_seq"], name="task_user_change_idx"),
            models.Index(
                fields=["deleted_at"],
                name="task_tombstone_idx",
                condition=models.Q(deleted_at__isnull=False),
            ),
            # Search (TaskQuerySet.search), on PostgreSQL with pg_trgm and btree_gin
            # (migration 0008); SQLite has neither, and scans the owner's rows.
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


class InCodePointOrder(models.Func):
    """A text column to sort by code point, whatever the database's collation: SQLite's
    default (BINARY, on UTF-8) already is, PostgreSQL's "C" collation is. The order of
    Python's own string comparison, which sorts a task's tags (TagQuerySet.named)."""

    template = "%(expressions)s"

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, template='%(expressions)s COLLATE "C"', **extra_context
        )


class TagQuerySet(OwnedQuerySet):
    def keyed(self, key: str) -> "TagQuerySet":
        """The tag whose tag_key() is `key` (one of an owner's, after owned_by)."""
        return self.filter(name_key=key)

    def with_task_counts(self) -> "TagQuerySet":
        """Each tag with `task_count`, the live tasks carrying it: a count of its links, since
        a task's links go when it is deleted (migration 0007's triggers)."""
        return self.annotate(task_count=models.Count("task_links"))

    def in_tag_order(self) -> "TagQuerySet":
        return self.order_by(InCodePointOrder("name_key"), "id")

    def named(self, owner_id, names: Sequence[str]) -> list["Tag"]:
        """The owner's tags with these names, in tag order: each that exists as first spelled,
        the others created. One statement, an insert that leaves an existing tag as it is
        (which also locks it until the transaction ends, so a concurrent rename or deletion
        cannot slip between this and the write that links it)."""
        if not names:
            return []
        connection = connections[self.db]
        quote = connection.ops.quote_name
        fields = [
            Tag._meta.get_field(name) for name in ("id", "user", "name", "name_key", "created_at")
        ]
        now = timezone.now()
        new_tags = {}
        for name in names:
            new_tags.setdefault(tag_key(name), Tag(user_id=owner_id, name=name, created_at=now))
        params = []
        for key, tag in new_tags.items():
            tag.name_key = key
            params += [
                field.get_db_prep_save(getattr(tag, field.attname), connection) for field in fields
            ]
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        key_column = quote("name_key")
        # Names from the model's metadata, values as parameters.
        sql = (
            f"INSERT INTO {quote(Tag._meta.db_table)} "  # noqa: S608
            f"({', '.join(quote(field.column) for field in fields)}) "
            f"VALUES {', '.join([row] * len(new_tags))} "
            f"ON CONFLICT ({quote('user_id')}, {key_column}) "
            f"DO UPDATE SET {key_column} = excluded.{key_column} RETURNING *"
        )
        return sorted(self.raw(sql, params), key=lambda tag: tag.name_key)


class Tag(models.Model):
    """One of a user's tags. Tasks carry it through TaskTag rows, and keep its name in their
    `tags` too.

    Names compare by tag_key(), case-insensitively: a user has one tag per key, spelled as
    it was first written (or last renamed). Tag order, wherever tags are listed, is by key,
    character by character (code point); on PostgreSQL that is the "C" collation."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The unique (user, name_key) index below serves the owner's lookups.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tags", db_index=False
    )
    name = models.CharField(max_length=TAG_NAME_MAX_LENGTH)
    # tag_key(name). NFKC and case folding lengthen some names (`ß` is `ss`; U+FDFA is 18
    # letters): 50 characters never make more than 900.
    name_key = models.CharField(max_length=1000, editable=False)
    color = models.CharField(max_length=7, null=True, blank=True, help_text="#rrggbb")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = models.Manager.from_queryset(TagQuerySet)()

    class Meta:
        ordering = ["name_key", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name_key"], name="tag_user_name_key"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.name_key = tag_key(self.name)
        super().save(*args, **kwargs)

    def apply_changes(self, changes: dict) -> None:
        """Writes a new `name` and/or `color`. A new spelling is written into every live task
        carrying the tag, as a change of each (version, `updated_at`, the changes feed), in
        the same transaction. Raises IntegrityError if another of the owner's tags has the
        name."""
        respelled = "name" in changes and changes["name"] != self.name
        for field, value in changes.items():
            setattr(self, field, value)
        self.name_key = tag_key(self.name)
        with transaction.atomic():
            Tag.objects.owned_by(self.user_id).filter(pk=self.pk).update(
                name=self.name, name_key=self.name_key, color=self.color
            )
            if respelled:
                self.carriers().respell_tags()

    def delete(self, *args, **kwargs):
        """Deletes the tag and takes it off every task carrying it, as a change of each, in
        one transaction.

        The tag's row goes first, which waits for (and then blocks) any write naming the tag
        (TagQuerySet.named locks it); its links stay until the tasks are respelled without
        it, within the transaction (the foreign keys are checked at commit)."""
        with transaction.atomic():
            deleted = Tag.objects.owned_by(self.user_id).filter(pk=self.pk).delete()
            self.carriers().respell_tags()
            return deleted

    def carriers(self) -> TaskQuerySet:
        return Task.objects.owned_by(self.user_id).filter(tag_links__tag_id=self.pk)


class TaskTag(models.Model):
    """A live task carrying a tag: an index of the tasks' `tags`, kept from them by triggers
    (migration 0007) whatever writes a task, and gone when the task is deleted. So a tag's
    links count its live tasks, and a filter by tag reads them. Nothing cascades from Django
    here, so deleting a user's tasks stays one statement per table."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, db_index=False)
    # The unique (task, tag) index serves lookups by task; the (tag, task) one by tag.
    task = models.ForeignKey(
        Task, on_delete=models.DO_NOTHING, related_name="tag_links", db_index=False
    )
    tag = models.ForeignKey(
        Tag, on_delete=models.DO_NOTHING, related_name="task_links", db_index=False
    )

    objects = models.Manager.from_queryset(OwnedQuerySet)()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["task", "tag"], name="task_tag_once")]
        indexes = [models.Index(fields=["tag", "task"], name="task_tag_by_tag_idx")]

    def __str__(self) -> str:
        return f"{self.task_id} {self.tag_id}"


class TagNames(models.Func):
    """A task's tag names from its links, in tag order, as a JSON array: what TaskQuerySet.
    respell_tags() writes into `tags`. A link to a tag deleted in the same transaction (its
    row gone, the link not yet) is left out."""

    output_field = models.JSONField(encoder=CompactJSONEncoder)

    def __init__(self):
        super().__init__(models.F("user_id"), models.F("id"))

    def as_sql(self, compiler, connection, **extra_context):
        owner_sql, owner_params = compiler.compile(self.source_expressions[0])
        task_sql, task_params = compiler.compile(self.source_expressions[1])
        params = [*owner_params, *task_params]
        # Names from the models' metadata, values as parameters.
        links = (
            f"FROM {TaskTag._meta.db_table} tag_link "
            f"JOIN {Tag._meta.db_table} tag_row ON tag_row.id = tag_link.tag_id "
            f"WHERE tag_link.user_id = {owner_sql} AND tag_link.task_id = {task_sql}"
        )
        if connection.vendor == "postgresql":
            sql = (
                f"COALESCE((SELECT jsonb_agg(tag_row.name ORDER BY tag_row.name_key "
                f"COLLATE \"C\") {links}), '[]'::jsonb)"
            )
        else:
            # SQLite aggregates the rows of an ordered subquery in its order.
            sql = (
                f"(SELECT json_group_array(name) FROM "  # noqa: S608
                f"(SELECT tag_row.name AS name {links} ORDER BY tag_row.name_key))"
            )
        return sql, params


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
