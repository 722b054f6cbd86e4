"""PostgreSQL-only schema objects (taskapi/postgres_only.py): created on PostgreSQL, skipped
on SQLite, including when SQLite rebuilds a table from the model state."""

import pytest
from django.db import connection, models

from taskapi.postgres_only import PostgresOnlyExtension
from tasks.models import Task

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's SQL")
on_sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's fallback")


def search_index():
    (index,) = [index for index in Task._meta.indexes if index.name == "task_search_trgm_idx"]
    return index


@on_postgresql
def test_on_postgresql_the_search_index_is_a_gin_index_of_the_owner_and_upper_texts(db):
    with connection.schema_editor(collect_sql=True) as editor:
        create = str(search_index().create_sql(Task, editor))
        remove = str(search_index().remove_sql(Task, editor))

    assert create == (
        'CREATE INDEX "task_search_trgm_idx" ON "tasks_task" USING gin ("user_id", '
        '(UPPER("title")) gin_trgm_ops, (UPPER("description")) gin_trgm_ops)'
    )
    assert remove == 'DROP INDEX IF EXISTS "task_search_trgm_idx"'


@on_sqlite
def test_elsewhere_creating_or_dropping_the_search_index_is_a_comment():
    editor = connection.schema_editor()
    comment = "-- task_search_trgm_idx: PostgreSQL only, skipped here"

    assert str(search_index().create_sql(Task, editor)) == comment
    assert str(search_index().remove_sql(Task, editor)) == comment


@on_sqlite
@pytest.mark.django_db(transaction=True)
def test_sqlite_rebuilding_the_task_table_creates_its_other_indexes_but_not_the_search_index():
    """Changing a column makes SQLite copy the table into a new one built from the model
    state, indexes included; collected, not run, so the test database stays as it is."""
    old = Task._meta.get_field("title")
    new = models.CharField(max_length=300)
    new.set_attributes_from_name("title")
    new.model = Task

    with connection.schema_editor(collect_sql=True) as editor:
        editor.alter_field(Task, old, new)

    statements = "\n".join(editor.collected_sql)
    assert 'CREATE INDEX "task_user_created_idx"' in statements
    assert "-- task_search_trgm_idx: PostgreSQL only, skipped here" in statements
    assert "using gin" not in statements.lower()


@on_sqlite
@pytest.mark.django_db(transaction=True)
def test_elsewhere_the_extension_operation_does_nothing_either_way():
    operation = PostgresOnlyExtension("pg_trgm")

    with connection.schema_editor(collect_sql=True) as editor:
        operation.database_forwards("tasks", editor, None, None)
        operation.database_backwards("tasks", editor, None, None)

    assert editor.collected_sql == []
