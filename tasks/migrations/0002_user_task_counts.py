"""Per-user task counts kept by triggers, so list totals need no COUNT(*) (see UserTaskCount).

The triggers subtract a row's old contribution and add its new one; an UPDATE fires them
only when `completed` or the owner changes. Existing tasks are counted once, here.
Reversible: going back drops the triggers and the table.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

POSTGRESQL_CREATE = """
CREATE FUNCTION tasks_task_maintain_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE tasks_usertaskcount
           SET total = total - 1, completed = completed - OLD.completed::int
         WHERE user_id = OLD.user_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
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
    AFTER UPDATE OF completed, user_id ON tasks_task
    FOR EACH ROW
    WHEN (OLD.completed IS DISTINCT FROM NEW.completed OR OLD.user_id IS DISTINCT FROM NEW.user_id)
    EXECUTE FUNCTION tasks_task_maintain_counts();
"""

POSTGRESQL_DROP = """
DROP TRIGGER IF EXISTS tasks_task_counts_update ON tasks_task;
DROP TRIGGER IF EXISTS tasks_task_counts_insert_delete ON tasks_task;
DROP FUNCTION IF EXISTS tasks_task_maintain_counts();
"""

SQLITE_ADD_NEW = """
    INSERT INTO tasks_usertaskcount (user_id, total, completed)
    VALUES (NEW.user_id, 1, NEW.completed)
    ON CONFLICT (user_id) DO UPDATE
       SET total = total + 1, completed = completed + excluded.completed;
"""
SQLITE_SUBTRACT_OLD = """
    UPDATE tasks_usertaskcount
       SET total = total - 1, completed = completed - OLD.completed
     WHERE user_id = OLD.user_id;
"""
SQLITE_CREATE = [
    f"CREATE TRIGGER tasks_task_counts_insert AFTER INSERT ON tasks_task BEGIN {SQLITE_ADD_NEW} END;",
    f"CREATE TRIGGER tasks_task_counts_delete AFTER DELETE ON tasks_task BEGIN {SQLITE_SUBTRACT_OLD} END;",
    "CREATE TRIGGER tasks_task_counts_update AFTER UPDATE OF completed, user_id ON tasks_task "
    "WHEN OLD.completed IS NOT NEW.completed OR OLD.user_id IS NOT NEW.user_id "
    f"BEGIN {SQLITE_SUBTRACT_OLD} {SQLITE_ADD_NEW} END;",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS tasks_task_counts_insert;",
    "DROP TRIGGER IF EXISTS tasks_task_counts_delete;",
    "DROP TRIGGER IF EXISTS tasks_task_counts_update;",
]

BACKFILL = """
INSERT INTO tasks_usertaskcount (user_id, total, completed)
SELECT user_id, COUNT(*), SUM(CASE WHEN completed THEN 1 ELSE 0 END)
  FROM tasks_task
 GROUP BY user_id
"""


def statements(schema_editor, postgresql, sqlite) -> list[str]:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        return [postgresql]
    if vendor == "sqlite":
        return sqlite
    raise NotImplementedError(f"task count triggers are written for PostgreSQL and SQLite, not {vendor}")


def create_triggers(apps, schema_editor):
    for statement in statements(schema_editor, POSTGRESQL_CREATE, SQLITE_CREATE):
        schema_editor.execute(statement, params=None)
    schema_editor.execute(BACKFILL, params=None)


def drop_triggers(apps, schema_editor):
    for statement in statements(schema_editor, POSTGRESQL_DROP, SQLITE_DROP):
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("tasks", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="UserTaskCount",
            fields=[
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="task_count",
                        serialize=False,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                ("total", models.IntegerField(default=0)),
                ("completed", models.IntegerField(default=0)),
            ],
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
