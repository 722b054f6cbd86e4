"""Schema objects that exist on PostgreSQL only, declared so that SQLite skips them.

The project runs on SQLite and PostgreSQL from the same models and migrations. A PostgreSQL
index (GIN, an operator class from an extension) must still be declared in the model's
`Meta.indexes`: the migration state then says what the table has, `makemigrations --check`
stays clean on both databases, and every later migration carries the index along. On SQLite
that same declaration must create nothing, including when SQLite rebuilds a table from the
model state (`_remake_table`, which most column changes trigger) and when a migration is
reversed.

Django gives no per-index vendor option, so the index class decides, in the two methods the
schema editor asks for an index's SQL (`create_sql` and `remove_sql`, the hooks
django.contrib.postgres's own indexes override): on another database each answers a SQL
comment, which every backend executes as nothing and `sqlmigrate` prints as a note.
The tests in taskapi/tests/test_postgres_only.py exercise both paths.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.operations import CreateExtension
from django.db.backends.ddl_references import Statement


def is_postgresql(schema_editor) -> bool:
    return schema_editor.connection.vendor == "postgresql"


def skipped(index_name: str) -> Statement:
    """What another database executes for a PostgreSQL-only index: a comment, i.e. nothing."""
    return Statement("-- %(name)s: PostgreSQL only, skipped here", name=index_name)


class PostgresOnlyGinIndex(GinIndex):
    """A GIN index on PostgreSQL; nothing on another database."""

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if not is_postgresql(schema_editor):
            return skipped(self.name)
        return super().create_sql(model, schema_editor, using=using, **kwargs)

    def remove_sql(self, model, schema_editor, **kwargs):
        if not is_postgresql(schema_editor):
            return skipped(self.name)
        return super().remove_sql(model, schema_editor, **kwargs)


class PostgresOnlyExtension(CreateExtension):
    """CREATE EXTENSION on PostgreSQL, nothing elsewhere, either way.

    Django's CreateExtension skips other databases going forwards but not backwards (it
    looks the extension up in pg_extension). Going back here leaves the extension
    installed: it holds no data, other objects (another app's index) may depend on it, and
    an operator may have installed it before the migration ran (see README, "Search").
    """

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        return None
