"""Seed data for the benchmark: ordinary users with a few hundred tasks each, one heavy user.

Rows are written in bulk, straight through the database cursor, not through the API: 200,000
tasks take seconds this way. Tasks look like a year of real use: titles and descriptions
drawn from word lists (some descriptions missing), due dates spread over past and future
(some missing), about 30% completed with a `completed_at` after `created_at`, and rows
inserted in creation order, so one user's tasks are spread across the table as they would
be after a year of everyone's writes. Each user has the same 20 tag names (their own tags),
and each task 0 to 3 of them (1.5 on average, so a tag is on about 7.5% of a user's tasks)
and a priority (a fifth low, a fifth high). A fixed random seed makes every run's data the
same.
"""

import datetime
import random
import uuid
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

from accounts.models import User
from tasks.models import Tag, Task, tag_key
from tasks.priorities import PRIORITIES

BENCH_PASSWORD = "bench-password-not-a-secret"
ORDINARY_EMAIL_PREFIX = "bench-user-"
HEAVY_USER_EMAIL = "bench-heavy@example.com"
# In about one task in four (title or description): the search scenario's term.
SEARCH_WORD = "report"

VERBS = [
    "Review", "Write", "Fix", "Call", "Email", "Plan", "Prepare", "Update", "Book", "Buy",
    "Clean", "Schedule", "Finish", "Draft", "Check", "Send", "Read", "Organize", "Test", "Pay",
]  # fmt: skip
QUALIFIERS = [
    "quarterly", "weekly", "team", "client", "budget", "travel", "project", "family", "garden",
    "release", "monthly", "annual", "", "", "", "",
]  # fmt: skip
NOUNS = [
    "report", "meeting", "invoice", "presentation", "notes", "plan", "tickets", "backup",
    "proposal", "groceries", "appointment", "slides", "contract", "newsletter", "roadmap",
    "checklist", "review", "summary", "order", "bill",
]  # fmt: skip
SENTENCES = [
    "Ask the team for their numbers first.",
    "Use last year's report as a template.",
    "Needs sign-off before Friday.",
    "Keep it short; two pages at most.",
    "Remember to attach the receipts.",
    "Check with finance about the budget.",
    "Blocked until the vendor replies.",
    "Low priority, but do not forget it.",
    "Share the summary in the weekly meeting.",
    "Follow up if there is no answer by Monday.",
    "Compare the figures with the monthly report.",
    "Book a room with a projector.",
]

# Every user's tag names; `tag=` scenarios filter by the first.
TAG_VOCABULARY = [
    "work", "home", "errands", "urgent", "someday", "finance", "health", "family", "shopping",
    "travel", "reading", "calls", "email", "garden", "car", "school", "fitness", "projects",
    "ideas", "waiting",
]  # fmt: skip
BENCH_TAG = TAG_VOCABULARY[0]
MAX_TAGS_PER_TASK = 3
PRIORITY_WEIGHTS = {"low": 0.2, "medium": 0.6, "high": 0.2}

# The share of tasks with each property, and the spread of their dates.
COMPLETED_SHARE = 0.3
NO_DESCRIPTION_SHARE = 0.4
NO_DUE_DATE_SHARE = 0.25
HISTORY = datetime.timedelta(days=365)
DUE_AFTER_CREATION = datetime.timedelta(days=90)
LONGEST_COMPLETION = datetime.timedelta(days=30)

TASK_FIELD_NAMES = (
    "id",
    "user",
    "title",
    "description",
    "due_date",
    "completed",
    "completed_at",
    "created_at",
    "updated_at",
    "priority",
    "tags",
)
INSERT_BATCH_SIZE = 1000


@dataclass(frozen=True)
class SeedPlan:
    users: int = 200
    tasks_per_user: int = 500
    heavy_user_tasks: int = 100_000


@dataclass(frozen=True)
class SeededUsers:
    ordinary: list[User]
    heavy: User


def seed(plan: SeedPlan, *, random_seed: int = 2024) -> SeededUsers:
    """Creates the plan's users and tasks and returns the users.

    Each batch of tasks commits on its own: `executemany` sends one INSERT per task, the
    product's triggers write the owner's ledger row once per statement, and inside one
    transaction those row versions pile up (nothing can prune them before the commit), so
    one big transaction would take time quadratic in a user's task count. (One INSERT of
    many rows would not: see bench/bulk.py.)
    """
    rng = random.Random(random_seed)  # noqa: S311 (the same data every run)
    now = timezone.now()
    # Hashing is slow on purpose; every user shares one hash of the same password.
    password = make_password(BENCH_PASSWORD)
    ordinary = [
        User(
            id=random_uuid(rng),
            email=f"{ORDINARY_EMAIL_PREFIX}{number:03d}@example.com",
            name=f"Bench User {number}",
            password=password,
        )
        for number in range(plan.users)
    ]
    heavy = User(id=random_uuid(rng), email=HEAVY_USER_EMAIL, name="Heavy User", password=password)
    rows = [row for user in ordinary for row in task_rows(rng, user.id, plan.tasks_per_user, now)]
    rows += task_rows(rng, heavy.id, plan.heavy_user_tasks, now)
    rows.sort(key=lambda row: row[TASK_FIELD_NAMES.index("created_at")])
    User.objects.bulk_create([*ordinary, heavy])
    # The tags first: a task's insert links it to its owner's tags of the names it carries.
    Tag.objects.bulk_create(
        Tag(id=random_uuid(rng), user=user, name=name, name_key=tag_key(name), created_at=now)
        for user in [*ordinary, heavy]
        for name in TAG_VOCABULARY
    )
    insert_tasks(rows)
    return SeededUsers(ordinary=ordinary, heavy=heavy)


def seeded_users(plan: SeedPlan) -> SeededUsers | None:
    """The users an earlier, complete seed(plan) wrote; None when there was none, or when it
    was interrupted before the heavy user's last task."""
    heavy = User.objects.filter(email=HEAVY_USER_EMAIL).first()
    if heavy is None or Task.objects.filter(user=heavy).count() != plan.heavy_user_tasks:
        return None
    ordinary = User.objects.filter(email__startswith=ORDINARY_EMAIL_PREFIX).order_by("email")
    return SeededUsers(ordinary=list(ordinary), heavy=heavy)


def random_uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def task_rows(
    rng: random.Random, user_id: uuid.UUID, count: int, now: datetime.datetime
) -> list[tuple]:
    """`count` tasks of one user, as tuples in TASK_FIELD_NAMES order."""
    rows = []
    for _ in range(count):
        created_at = now - HISTORY * rng.random()
        completed_at = None
        if rng.random() < COMPLETED_SHARE:
            completed_at = created_at + min(LONGEST_COMPLETION, now - created_at) * rng.random()
        due_date = None
        if rng.random() >= NO_DUE_DATE_SHARE:
            due_date = created_at + DUE_AFTER_CREATION * rng.random()
        rows.append(
            (
                random_uuid(rng),
                user_id,
                random_title(rng),
                None if rng.random() < NO_DESCRIPTION_SHARE else random_description(rng),
                due_date,
                completed_at is not None,
                completed_at,
                created_at,
                completed_at or created_at,
                rng.choices(PRIORITIES, [PRIORITY_WEIGHTS[level] for level in PRIORITIES])[0],
                sorted(rng.sample(TAG_VOCABULARY, rng.randint(0, MAX_TAGS_PER_TASK)), key=tag_key),
            )
        )
    return rows


def random_title(rng: random.Random) -> str:
    words = [rng.choice(VERBS), rng.choice(QUALIFIERS), rng.choice(NOUNS)]
    return " ".join(word for word in words if word)


def random_description(rng: random.Random) -> str:
    return " ".join(rng.sample(SENTENCES, rng.randint(1, 3)))


def insert_tasks(rows: list[tuple]) -> None:
    """Inserts task tuples in batches through the cursor.

    Not `bulk_create`: it would stamp every `updated_at` with the time of seeding
    (`auto_now`). Each value is still prepared by its model field, as the ORM would.
    """
    database = connections[DEFAULT_DB_ALIAS]
    fields = [Task._meta.get_field(name) for name in TASK_FIELD_NAMES]
    columns = ", ".join(field.column for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {Task._meta.db_table} ({columns}) VALUES ({placeholders})"  # noqa: S608
    for start in range(0, len(rows), INSERT_BATCH_SIZE):
        batch = rows[start : start + INSERT_BATCH_SIZE]
        with transaction.atomic(), database.cursor() as cursor:
            cursor.executemany(
                sql,
                [
                    [
                        field.get_db_prep_save(value, database)
                        for field, value in zip(fields, row, strict=True)
                    ]
                    for row in batch
                ],
            )
