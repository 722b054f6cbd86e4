"""Priorities and tags (issue 15): a task's `priority` and `tags`, Tag rows per user, and
TaskTag links between them.

A task's `tags` (the names) say which tags it carries; its links are kept from them by
triggers, whatever writes the task (the API, the admin, a bulk statement, raw SQL):
- a live task written with tags gets a link to each of its owner's tags so named, and loses
  the links to tags it no longer names;
- deleting a task, as a tombstone or as a row, deletes its links.
So a tag's links are its live tasks, and a user's deletion deletes each table in one
statement.

On SQLite, adding the columns rebuilds tasks_task, which drops its triggers: they are made
again here, the change-numbering one now also watching `priority` and `tags`.
"""

from importlib import import_module

import django.db.models.deletion
import django.utils.timezone
import uuid
from django.conf import settings
from django.db import migrations, models

import tasks.models
import tasks.priorities

ROW_TRIGGERS = import_module("tasks.migrations.0003_versions_tombstones_and_change_numbers")

POSTGRESQL_CREATE = """
CREATE FUNCTION tasks_task_link_tags() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        -- Also the links to a tag deleted earlier in this transaction (Tag.delete).
        DELETE FROM tasks_tasktag
         WHERE user_id = NEW.user_id AND task_id = NEW.id
           AND tag_id NOT IN (
               SELECT tag.id FROM tasks_tag tag
                WHERE tag.user_id = NEW.user_id
                  AND tag.name IN (SELECT jsonb_array_elements_text(NEW.tags)));
    END IF;
    INSERT INTO tasks_tasktag (user_id, task_id, tag_id)
    SELECT NEW.user_id, NEW.id, tag.id FROM tasks_tag tag
     WHERE tag.user_id = NEW.user_id
       AND tag.name IN (SELECT jsonb_array_elements_text(NEW.tags))
    ON CONFLICT (task_id, tag_id) DO NOTHING;
    RETURN NULL;
END
$$;
CREATE TRIGGER tasks_task_link_tags_insert
    AFTER INSERT ON tasks_task
    FOR EACH ROW WHEN (NEW.tags <> '[]'::jsonb AND NEW.deleted_at IS NULL)
    EXECUTE FUNCTION tasks_task_link_tags();
CREATE TRIGGER tasks_task_link_tags_update
    AFTER UPDATE OF tags ON tasks_task
    FOR EACH ROW WHEN (OLD.tags IS DISTINCT FROM NEW.tags AND NEW.deleted_at IS NULL)
    EXECUTE FUNCTION tasks_task_link_tags();

CREATE FUNCTION tasks_task_unlink_tombstone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM tasks_tasktag WHERE user_id = NEW.user_id AND task_id = NEW.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER tasks_task_unlink_tombstone
    AFTER UPDATE OF deleted_at ON tasks_task
    FOR EACH ROW WHEN (OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL)
    EXECUTE FUNCTION tasks_task_unlink_tombstone();

-- Only live tasks with tags have links, and each is found by the (task, tag) index: a join
-- with the transition table (which has no statistics) would scan every link instead, and a
-- bulk DELETE of 40,000 untagged tasks took 1.9 s for nothing.
CREATE FUNCTION tasks_task_unlink_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM tasks_tasktag
     WHERE task_id = ANY (ARRAY(
         SELECT id FROM deleted_tasks WHERE deleted_at IS NULL AND tags <> '[]'::jsonb));
    RETURN NULL;
END
$$;
CREATE TRIGGER tasks_task_unlink_deleted
    AFTER DELETE ON tasks_task
    REFERENCING OLD TABLE AS deleted_tasks
    FOR EACH STATEMENT EXECUTE FUNCTION tasks_task_unlink_deleted();
"""
POSTGRESQL_DROP = """
DROP TRIGGER tasks_task_link_tags_update ON tasks_task;
DROP TRIGGER tasks_task_link_tags_insert ON tasks_task;
DROP FUNCTION tasks_task_link_tags();
DROP TRIGGER tasks_task_unlink_deleted ON tasks_task;
DROP FUNCTION tasks_task_unlink_deleted();
DROP TRIGGER tasks_task_unlink_tombstone ON tasks_task;
DROP FUNCTION tasks_task_unlink_tombstone();
"""

SQLITE_TASK_COLUMNS = f"{ROW_TRIGGERS.SQLITE_TASK_COLUMNS}, priority, tags"


def sqlite_triggers(task_columns: str) -> list[str]:
    """Migration 0003's triggers, with 0006's numbering trigger (a change of any of
    `task_columns` takes a number; an UPDATE that changes none does not)."""
    changed = " OR ".join(
        f"OLD.{column} IS NOT NEW.{column}" for column in task_columns.split(", ")
    )
    number_update = (
        f"CREATE TRIGGER tasks_task_number_update AFTER UPDATE OF {task_columns} ON tasks_task "
        f"WHEN {changed} BEGIN {ROW_TRIGGERS.SQLITE_NUMBER_NEW} END;"
    )
    return [
        *(
            statement
            for statement in ROW_TRIGGERS.SQLITE_CREATE
            if "tasks_task_number_update" not in statement
        ),
        "DROP TRIGGER IF EXISTS tasks_task_number_update;",
        number_update,
    ]


SQLITE_LINK_NAMED_TAGS = """
    INSERT OR IGNORE INTO tasks_tasktag (user_id, task_id, tag_id)
    SELECT NEW.user_id, NEW.id, tag.id FROM tasks_tag tag
     WHERE tag.user_id = NEW.user_id AND tag.name IN (SELECT value FROM json_each(NEW.tags));
"""
SQLITE_CREATE = [
    *sqlite_triggers(SQLITE_TASK_COLUMNS),
    "CREATE TRIGGER tasks_task_link_tags_insert AFTER INSERT ON tasks_task "
    "WHEN NEW.tags <> '[]' AND NEW.deleted_at IS NULL "
    f"BEGIN {SQLITE_LINK_NAMED_TAGS} END;",
    "CREATE TRIGGER tasks_task_link_tags_update AFTER UPDATE OF tags ON tasks_task "
    "WHEN OLD.tags IS NOT NEW.tags AND NEW.deleted_at IS NULL BEGIN "
    "DELETE FROM tasks_tasktag WHERE task_id = NEW.id AND tag_id NOT IN ("
    "SELECT tag.id FROM tasks_tag tag WHERE tag.user_id = NEW.user_id "
    "AND tag.name IN (SELECT value FROM json_each(NEW.tags)));"
    f"{SQLITE_LINK_NAMED_TAGS} END;",
    "CREATE TRIGGER tasks_task_unlink_tombstone AFTER UPDATE OF deleted_at ON tasks_task "
    "WHEN OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL "
    "BEGIN DELETE FROM tasks_tasktag WHERE task_id = NEW.id; END;",
    "CREATE TRIGGER tasks_task_unlink_deleted AFTER DELETE ON tasks_task "
    "BEGIN DELETE FROM tasks_tasktag WHERE task_id = OLD.id; END;",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS tasks_task_link_tags_insert;",
    "DROP TRIGGER IF EXISTS tasks_task_link_tags_update;",
    "DROP TRIGGER IF EXISTS tasks_task_unlink_tombstone;",
    "DROP TRIGGER IF EXISTS tasks_task_unlink_deleted;",
]


# Runs each database's own statements.
run = import_module("tasks.migrations.0006_ledger_kept_once_per_statement").run


def create_triggers(apps, schema_editor):
    run(schema_editor, [POSTGRESQL_CREATE], SQLITE_CREATE)


def drop_triggers(apps, schema_editor):
    run(schema_editor, [POSTGRESQL_DROP], SQLITE_DROP)


def restore_previous_sqlite_triggers(apps, schema_editor):
    """Runs last when going back, after the columns are gone: on SQLite, dropping them
    rebuilt tasks_task without its triggers."""
    run(schema_editor, [], sqlite_triggers(ROW_TRIGGERS.SQLITE_TASK_COLUMNS))


class Migration(migrations.Migration):
    dependencies = [
        ("tasks", "0006_ledger_kept_once_per_statement"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, restore_previous_sqlite_triggers),
        migrations.CreateModel(
            name="Tag",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("name", models.CharField(max_length=50)),
                ("name_key", models.CharField(editable=False, max_length=1000)),
                (
                    "color",
                    models.CharField(blank=True, help_text="#rrggbb", max_length=7, null=True),
                ),
                (
                    "created_at",
                    models.DateTimeField(default=django.utils.timezone.now, editable=False),
                ),
            ],
            options={
                "ordering": ["name_key", "id"],
            },
        ),
        migrations.CreateModel(
            name="TaskTag",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
            ],
        ),
        migrations.AddField(
            model_name="task",
            name="priority",
            field=models.CharField(
                choices=[("low", "Low"), ("medium", "Medium"), ("high", "High")],
                db_default="medium",
                default="medium",
                max_length=6,
            ),
        ),
        migrations.AddField(
            model_name="task",
            name="tags",
            field=models.JSONField(
                db_default=models.Value("[]"),
                default=list,
                editable=False,
                encoder=tasks.models.CompactJSONEncoder,
            ),
        ),
        migrations.AddIndex(
            model_name="task",
            index=models.Index(
                models.F("user"),
                tasks.priorities.PriorityRank("priority"),
                models.F("id"),
                condition=models.Q(("deleted_at__isnull", True)),
                name="task_user_priority_idx",
            ),
        ),
        migrations.AddConstraint(
            model_name="task",
            constraint=models.CheckConstraint(
                condition=models.Q(("priority__in", ("low", "medium", "high"))),
                name="task_priority_known",
            ),
        ),
        migrations.AddField(
            model_name="tag",
            name="user",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="tags",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="tasktag",
            name="tag",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="task_links",
                to="tasks.tag",
            ),
        ),
        migrations.AddField(
            model_name="tasktag",
            name="task",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="tag_links",
                to="tasks.task",
            ),
        ),
        migrations.AddField(
            model_name="tasktag",
            name="user",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddConstraint(
            model_name="tag",
            constraint=models.UniqueConstraint(
                fields=("user", "name_key"), name="tag_user_name_key"
            ),
        ),
        migrations.AddIndex(
            model_name="tasktag",
            index=models.Index(fields=["tag", "task"], name="task_tag_by_tag_idx"),
        ),
        migrations.AddConstraint(
            model_name="tasktag",
            constraint=models.UniqueConstraint(fields=("task", "tag"), name="task_tag_once"),
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
