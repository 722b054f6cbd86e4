"""On PostgreSQL, the ledger is written once per statement instead of once per task, so a
statement over N tasks costs O(N) (see TaskLedger).

Row-level triggers updated the owner's ledger row for every task. Inside one transaction each
of those updates leaves a row version that the next must walk past, so one statement over N
tasks cost O(N^2): 74 s to insert 40,000 tasks, minutes to delete a user with 100,000.

Now:
- A BEFORE row trigger locks the owner's ledger row (creating it if need be) and numbers the
  change from one global sequence. Locking a row this transaction already holds writes
  nothing, so repeating it for every row costs an index lookup, not a row version.
- AFTER statement triggers read the statement's transition tables and adjust each owner's
  counts and `last_change` once, with one UPDATE.

Change numbers stay unique per user (they are unique overall) and still become visible in
order per user: each is taken while the owner's ledger row is locked, and the lock is held
until commit (the argument is written out in tasks/sync.py). Existing numbers are kept; the
sequence starts above the highest, so every cursor already handed out stays valid.

SQLite keeps its row triggers: it has no row versions to pile up (see bench/README.md, "bulk",
for its measurements). Its numbering trigger learns what PostgreSQL's always knew: an UPDATE
that leaves a row as it was is not a change, and takes no number. Reversible: going back restores migration 0003's triggers, and
numbering goes on per user from each ledger's `last_change`.
"""

from importlib import import_module

from django.db import migrations

ROW_TRIGGERS = import_module("tasks.migrations.0003_versions_tombstones_and_change_numbers")

POSTGRESQL_CREATE = """
CREATE SEQUENCE tasks_task_change_number AS bigint;
SELECT setval(
    'tasks_task_change_number',
    GREATEST(
        (SELECT COALESCE(MAX(last_change), 0) FROM tasks_usertaskcount),
        (SELECT COALESCE(MAX(change_seq), 0) FROM tasks_task),
        1
    )
);

CREATE OR REPLACE FUNCTION tasks_task_number_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM tasks_usertaskcount WHERE user_id = NEW.user_id FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO tasks_usertaskcount (user_id, total, completed)
        VALUES (NEW.user_id, 0, 0)
        ON CONFLICT (user_id) DO NOTHING;
        PERFORM 1 FROM tasks_usertaskcount WHERE user_id = NEW.user_id FOR UPDATE;
    END IF;
    NEW.change_seq := nextval('tasks_task_change_number');
    RETURN NEW;
END
$$;

DROP TRIGGER tasks_task_counts_insert_delete ON tasks_task;
DROP TRIGGER tasks_task_counts_update ON tasks_task;
DROP FUNCTION tasks_task_maintain_counts();

CREATE FUNCTION tasks_task_ledger_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tasks_usertaskcount AS ledger
       SET total = ledger.total + delta.total,
           completed = ledger.completed + delta.completed,
           last_change = GREATEST(ledger.last_change, delta.last_change)
      FROM (SELECT user_id,
                   COUNT(*) FILTER (WHERE deleted_at IS NULL) AS total,
                   COUNT(*) FILTER (WHERE deleted_at IS NULL AND completed) AS completed,
                   MAX(change_seq) AS last_change
              FROM inserted
             GROUP BY user_id) AS delta
     WHERE ledger.user_id = delta.user_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER tasks_task_ledger_insert
    AFTER INSERT ON tasks_task
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION tasks_task_ledger_after_insert();

-- A row's old state leaves its owner's counts and its new state joins its (maybe new)
-- owner's. A statement that changed nothing in a ledger (no count moved, no new number)
-- leaves that ledger row unwritten.
CREATE FUNCTION tasks_task_ledger_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tasks_usertaskcount AS ledger
       SET total = ledger.total + delta.total,
           completed = ledger.completed + delta.completed,
           last_change = GREATEST(ledger.last_change, delta.last_change)
      FROM (SELECT user_id,
                   SUM(total) AS total,
                   SUM(completed) AS completed,
                   MAX(last_change) AS last_change
              FROM (SELECT user_id, -1 AS total, -completed::int AS completed,
                           0::bigint AS last_change
                      FROM before_update
                     WHERE deleted_at IS NULL
                    UNION ALL
                    SELECT user_id, (deleted_at IS NULL)::int,
                           (deleted_at IS NULL AND completed)::int, change_seq
                      FROM after_update) AS contribution
             GROUP BY user_id) AS delta
     WHERE ledger.user_id = delta.user_id
       AND (delta.total <> 0 OR delta.completed <> 0 OR delta.last_change > ledger.last_change);
    RETURN NULL;
END
$$;
CREATE TRIGGER tasks_task_ledger_update
    AFTER UPDATE ON tasks_task
    REFERENCING OLD TABLE AS before_update NEW TABLE AS after_update
    FOR EACH STATEMENT EXECUTE FUNCTION tasks_task_ledger_after_update();

CREATE FUNCTION tasks_task_ledger_after_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tasks_usertaskcount AS ledger
       SET total = ledger.total - delta.total,
           completed = ledger.completed - delta.completed
      FROM (SELECT user_id, COUNT(*) AS total, COUNT(*) FILTER (WHERE completed) AS completed
              FROM deleted
             WHERE deleted_at IS NULL
             GROUP BY user_id) AS delta
     WHERE ledger.user_id = delta.user_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER tasks_task_ledger_delete
    AFTER DELETE ON tasks_task
    REFERENCING OLD TABLE AS deleted
    FOR EACH STATEMENT EXECUTE FUNCTION tasks_task_ledger_after_delete();
"""

# Migration 0003's row triggers (counts from 0002 and 0003, numbering from 0003).
POSTGRESQL_RESTORE_PREVIOUS = """
DROP TRIGGER tasks_task_ledger_insert ON tasks_task;
DROP TRIGGER tasks_task_ledger_update ON tasks_task;
DROP TRIGGER tasks_task_ledger_delete ON tasks_task;
DROP FUNCTION tasks_task_ledger_after_insert();
DROP FUNCTION tasks_task_ledger_after_update();
DROP FUNCTION tasks_task_ledger_after_delete();

CREATE FUNCTION tasks_task_maintain_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.deleted_at IS NULL THEN
        UPDATE tasks_usertaskcount
           SET total = total - 1, completed = completed - OLD.completed::int
         WHERE user_id = OLD.user_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.deleted_at IS NULL THEN
        INSERT INTO tasks_usertaskcount (user_id, total, completed)
        VALUES (NEW.user_id, 1, NEW.completed::int)
        ON CONFLICT (user_id) DO UPDATE
           SET total = tasks_usertaskcount.total + 1,
               completed = tasks_usertaskcount.completed + EXCLUDED.completed;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER tasks_task_counts_insert_delete
    AFTER INSERT OR DELETE ON tasks_task
    FOR EACH ROW EXECUTE FUNCTION tasks_task_maintain_counts();
CREATE TRIGGER tasks_task_counts_update
    AFTER UPDATE OF completed, user_id, deleted_at ON tasks_task
    FOR EACH ROW
    WHEN (OLD.completed IS DISTINCT FROM NEW.completed
          OR OLD.user_id IS DISTINCT FROM NEW.user_id
          OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at)
    EXECUTE FUNCTION tasks_task_maintain_counts();

CREATE OR REPLACE FUNCTION tasks_task_number_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tasks_usertaskcount (user_id, total, completed, last_change)
    VALUES (NEW.user_id, 0, 0, 1)
    ON CONFLICT (user_id) DO UPDATE SET last_change = tasks_usertaskcount.last_change + 1
    RETURNING last_change INTO NEW.change_seq;
    RETURN NEW;
END
$$;
DROP SEQUENCE tasks_task_change_number;
"""


SQLITE_COLUMN_CHANGED = " OR ".join(
    f"OLD.{column} IS NOT NEW.{column}" for column in ROW_TRIGGERS.SQLITE_TASK_COLUMNS.split(", ")
)
SQLITE_NUMBER_UPDATE = (
    f"CREATE TRIGGER tasks_task_number_update AFTER UPDATE OF {ROW_TRIGGERS.SQLITE_TASK_COLUMNS} "
    "ON tasks_task WHEN {condition} BEGIN " + ROW_TRIGGERS.SQLITE_NUMBER_NEW + " END;"
)
SQLITE_CREATE = [
    "DROP TRIGGER tasks_task_number_update;",
    SQLITE_NUMBER_UPDATE.format(condition=SQLITE_COLUMN_CHANGED),
]
SQLITE_RESTORE_PREVIOUS = [
    "DROP TRIGGER tasks_task_number_update;",
    SQLITE_NUMBER_UPDATE.format(condition="1"),
]


def run(schema_editor, postgresql: list[str], sqlite: list[str]) -> None:
    statements = {"postgresql": postgresql, "sqlite": sqlite}[schema_editor.connection.vendor]
    for statement in statements:
        schema_editor.execute(statement, params=None)


def keep_ledger_per_statement(apps, schema_editor):
    run(schema_editor, [POSTGRESQL_CREATE], SQLITE_CREATE)


def restore_row_triggers(apps, schema_editor):
    run(schema_editor, [POSTGRESQL_RESTORE_PREVIOUS], SQLITE_RESTORE_PREVIOUS)


class Migration(migrations.Migration):
    dependencies = [
        ("tasks", "0005_usertaskcount_is_the_task_ledger"),
    ]

    operations = [
        migrations.RunPython(
            keep_ledger_per_statement, restore_row_triggers
        ),
    ]
