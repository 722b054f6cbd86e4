"""Versions, tombstones and per-user change numbers (see Task and UserTaskCount).

After the new columns: existing tasks are numbered in the order they last changed, the
count triggers learn that a tombstone no longer counts, and new triggers number every
change. Reversible: going back restores migration 0002's triggers (purge tombstones first,
or they would turn back into live tasks).
"""

from django.conf import settings
from django.db import migrations, models

POSTGRESQL_CREATE = """
CREATE OR REPLACE FUNCTION tasks_task_maintain_counts() RETURNS trigger LANGUAGE plpgsql AS $$
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
DROP TRIGGER tasks_task_counts_update ON tasks_task;
CREATE TRIGGER tasks_task_counts_update
    AFTER UPDATE OF completed, user_id, deleted_at ON tasks_task
    FOR EACH ROW
    WHEN (OLD.completed IS DISTINCT FROM NEW.completed
          OR OLD.user_id IS DISTINCT FROM NEW.user_id
          OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at)
    EXECUTE FUNCTION tasks_task_maintain_counts();

CREATE FUNCTION tasks_task_number_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tasks_usertaskcount (user_id, total, completed, last_change)
    VALUES (NEW.user_id, 0, 0, 1)
    ON CONFLICT (user_id) DO UPDATE SET last_change = tasks_usertaskcount.last_change + 1
    RETURNING last_change INTO NEW.change_seq;
    RETURN NEW;
END
$$;
CREATE TRIGGER tasks_task_number_insert
    BEFORE INSERT ON tasks_task
    FOR EACH ROW EXECUTE FUNCTION tasks_task_number_change();
CREATE TRIGGER tasks_task_number_update
    BEFORE UPDATE ON tasks_task
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*)
    EXECUTE FUNCTION tasks_task_number_change();
"""

POSTGRESQL_DROP_NEW = """
DROP TRIGGER IF EXISTS tasks_task_number_update ON tasks_task;
DROP TRIGGER IF EXISTS tasks_task_number_insert ON tasks_task;
DROP FUNCTION IF EXISTS tasks_task_number_change();
DROP TRIGGER IF EXISTS tasks_task_counts_update ON tasks_task;
"""

# Migration 0002's count triggers, for going back.
POSTGRESQL_RESTORE_PREVIOUS = """
CREATE OR REPLACE FUNCTION tasks_task_maintain_counts() RETURNS trigger LANGUAGE plpgsql AS $$
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
DROP TRIGGER IF EXISTS tasks_task_counts_update ON tasks_task;
CREATE TRIGGER tasks_task_counts_update
    AFTER UPDATE OF completed, user_id ON tasks_task
    FOR EACH ROW
    WHEN (OLD.completed IS DISTINCT FROM NEW.completed OR OLD.user_id IS DISTINCT FROM NEW.user_id)
    EXECUTE FUNCTION tasks_task_maintain_counts();
"""

# SQLite triggers cannot assign NEW, so the numbering trigger writes change_seq back with an
# UPDATE of that column alone, which fires no trigger.
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
SQLITE_NUMBER_NEW = """
    INSERT INTO tasks_usertaskcount (user_id, total, completed, last_change)
    VALUES (NEW.user_id, 0, 0, 1)
    ON CONFLICT (user_id) DO UPDATE SET last_change = last_change + 1;
    UPDATE tasks_task
       SET change_seq = (SELECT last_change FROM tasks_usertaskcount WHERE user_id = NEW.user_id)
     WHERE id = NEW.id;
"""
SQLITE_TASK_COLUMNS = (
    "user_id, title, description, due_date, completed, completed_at, created_at, updated_at, "
    "version, deleted_at"
)
SQLITE_CREATE = [
    # Adding columns rebuilt tasks_task on SQLite, which drops its triggers; in case it did
    # not, drop them before creating the new set.
    "DROP TRIGGER IF EXISTS tasks_task_counts_insert;",
    "DROP TRIGGER IF EXISTS tasks_task_counts_delete;",
    "DROP TRIGGER IF EXISTS tasks_task_counts_update;",
    "CREATE TRIGGER tasks_task_counts_insert AFTER INSERT ON tasks_task "
    f"WHEN NEW.deleted_at IS NULL BEGIN {SQLITE_ADD_NEW} END;",
    "CREATE TRIGGER tasks_task_counts_delete AFTER DELETE ON tasks_task "
    f"WHEN OLD.deleted_at IS NULL BEGIN {SQLITE_SUBTRACT_OLD} END;",
    "CREATE TRIGGER tasks_task_counts_update_old AFTER UPDATE OF completed, user_id, deleted_at "
    "ON tasks_task WHEN OLD.deleted_at IS NULL AND (OLD.completed IS NOT NEW.completed "
    "OR OLD.user_id IS NOT NEW.user_id OR NEW.deleted_at IS NOT NULL) "
    f"BEGIN {SQLITE_SUBTRACT_OLD} END;",
    "CREATE TRIGGER tasks_task_counts_update_new AFTER UPDATE OF completed, user_id, deleted_at "
    "ON tasks_task WHEN NEW.deleted_at IS NULL AND (OLD.completed IS NOT NEW.completed "
    "OR OLD.user_id IS NOT NEW.user_id OR OLD.deleted_at IS NOT NULL) "
    f"BEGIN {SQLITE_ADD_NEW} END;",
    f"CREATE TRIGGER tasks_task_number_insert AFTER INSERT ON tasks_task BEGIN {SQLITE_NUMBER_NEW} END;",
    f"CREATE TRIGGER tasks_task_number_update AFTER UPDATE OF {SQLITE_TASK_COLUMNS} ON tasks_task "
    f"BEGIN {SQLITE_NUMBER_NEW} END;",
]
SQLITE_DROP_NEW = [
    f"DROP TRIGGER IF EXISTS {name};"
    for name in (
        "tasks_task_number_insert",
        "tasks_task_number_update",
        "tasks_task_counts_insert",
        "tasks_task_counts_delete",
        "tasks_task_counts_update_old",
        "tasks_task_counts_update_new",
    )
]
SQLITE_RESTORE_PREVIOUS = [
    "DROP TRIGGER IF EXISTS tasks_task_counts_insert;",
    "DROP TRIGGER IF EXISTS tasks_task_counts_delete;",
    "DROP TRIGGER IF EXISTS tasks_task_counts_update;",
    f"CREATE TRIGGER tasks_task_counts_insert AFTER INSERT ON tasks_task BEGIN {SQLITE_ADD_NEW} END;",
    f"CREATE TRIGGER tasks_task_counts_delete AFTER DELETE ON tasks_task BEGIN {SQLITE_SUBTRACT_OLD} END;",
    "CREATE TRIGGER tasks_task_counts_update AFTER UPDATE OF completed, user_id ON tasks_task "
    "WHEN OLD.completed IS NOT NEW.completed OR OLD.user_id IS NOT NEW.user_id "
    f"BEGIN {SQLITE_SUBTRACT_OLD} {SQLITE_ADD_NEW} END;",
]


def number_existing_changes(apps, schema_editor):
    """Numbers each user's existing tasks 1, 2, ... in the order they last changed."""
    Task = apps.get_model("tasks", "Task")
    UserTaskCount = apps.get_model("tasks", "UserTaskCount")
    last_change: dict = {}
    for task in Task.objects.order_by("user_id", "updated_at", "id").only("id", "user_id"):
        last_change[task.user_id] = last_change.get(task.user_id, 0) + 1
        Task.objects.filter(pk=task.pk).update(change_seq=last_change[task.user_id])
    for user_id, number in last_change.items():
        UserTaskCount.objects.filter(user_id=user_id).update(last_change=number)


def run(schema_editor, postgresql: list[str], sqlite: list[str]) -> None:
    statements = {"postgresql": postgresql, "sqlite": sqlite}[schema_editor.connection.vendor]
    for statement in statements:
        schema_editor.execute(statement, params=None)


def replace_triggers(apps, schema_editor):
    number_existing_changes(apps, schema_editor)
    run(schema_editor, [POSTGRESQL_CREATE], SQLITE_CREATE)


def drop_new_triggers(apps, schema_editor):
    run(schema_editor, [POSTGRESQL_DROP_NEW], SQLITE_DROP_NEW)


def restore_previous_triggers(apps, schema_editor):
    """Runs last when going back, after the columns are gone (dropping them on PostgreSQL,
    or rebuilding the table on SQLite, takes the triggers that used them along)."""
    run(schema_editor, [POSTGRESQL_RESTORE_PREVIOUS], SQLITE_RESTORE_PREVIOUS)


class Migration(migrations.Migration):

    dependencies = [
        ('tasks', '0002_user_task_counts'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, restore_previous_triggers),
        migrations.RemoveIndex(
            model_name='task',
            name='task_user_created_idx',
        ),
        migrations.RemoveIndex(
            model_name='task',
            name='task_user_updated_idx',
        ),
        migrations.RemoveIndex(
            model_name='task',
            name='task_user_due_idx',
        ),
        migrations.RemoveIndex(
            model_name='task',
            name='task_user_status_idx',
        ),
        migrations.RemoveIndex(
            model_name='task',
            name='task_user_completed_at_idx',
        ),
        migrations.AddField(
            model_name='task',
            name='change_seq',
            field=models.BigIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.AddField(
            model_name='task',
            name='deleted_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='task',
            name='version',
            field=models.PositiveIntegerField(db_default=1, default=1, editable=False),
        ),
        migrations.AddField(
            model_name='usertaskcount',
            name='last_change',
            field=models.BigIntegerField(db_default=0, default=0),
        ),
        migrations.AddField(
            model_name='usertaskcount',
            name='purged_through',
            field=models.BigIntegerField(db_default=0, default=0),
        ),
        migrations.AddIndex(
            model_name='task',
            index=models.Index(condition=models.Q(('deleted_at__isnull', True)), fields=['user', 'created_at', 'id'], name='task_user_created_idx'),
        ),
        migrations.AddIndex(
            model_name='task',
            index=models.Index(condition=models.Q(('deleted_at__isnull', True)), fields=['user', 'updated_at', 'id'], name='task_user_updated_idx'),
        ),
        migrations.AddIndex(
            model_name='task',
            index=models.Index(condition=models.Q(('deleted_at__isnull', True)), fields=['user', 'due_date', 'id'], name='task_user_due_idx'),
        ),
        migrations.AddIndex(
            model_name='task',
            index=models.Index(condition=models.Q(('deleted_at__isnull', True)), fields=['user', 'completed', 'created_at', 'id'], name='task_user_status_idx'),
        ),
        migrations.AddIndex(
            model_name='task',
            index=models.Index(condition=models.Q(('deleted_at__isnull', True)), fields=['user', 'completed_at', 'id'], name='task_user_completed_at_idx'),
        ),
        migrations.AddIndex(
            model_name='task',
            index=models.Index(fields=['user', 'change_seq'], name='task_user_change_idx'),
        ),
        migrations.AddIndex(
            model_name='task',
            index=models.Index(condition=models.Q(('deleted_at__isnull', False)), fields=['deleted_at'], name='task_tombstone_idx'),
        ),
        migrations.RunPython(replace_triggers, drop_new_triggers),
    ]
