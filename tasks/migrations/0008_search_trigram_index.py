"""Search by trigram index on PostgreSQL: task_search_trgm_idx (see Task.Meta and
TaskQuerySet.search). Nothing happens on SQLite.

A GIN index over the owner's id (btree_gin) and the UPPER() of title and description
(pg_trgm's gin_trgm_ops), which is exactly what Django's `icontains` compares on PostgreSQL.

The extensions: pg_trgm and btree_gin are "trusted" from PostgreSQL 13, so a role with the
CREATE privilege on the database may create them; superuser is not needed. Where the role
that migrates may not, an administrator runs `CREATE EXTENSION pg_trgm; CREATE EXTENSION
btree_gin;` once beforehand, and this migration then finds them and creates nothing (README,
"Search"). Going back drops the index and leaves the extensions (taskapi/postgres_only.py).

The index is built with a plain CREATE INDEX, which blocks writes to tasks_task while it
runs: about 4 s for 200,000 tasks on the benchmark's machine. A much larger table should have
it built beforehand with CREATE INDEX CONCURRENTLY under the same name and definition
(`sqlmigrate tasks 0008` prints it); this migration then fails on the existing name, so fake
it (`migrate tasks 0008 --fake`), then run ANALYZE tasks_task.

The migration ends with ANALYZE tasks_task: PostgreSQL keeps statistics on the index's
UPPER() expressions only once it has analysed the table with the index in place, and without
them it misjudges how many tasks a word matches (see Task.Meta). Autovacuum would analyse the
table only after a tenth of its rows have changed.
"""

from django.contrib.postgres.indexes import OpClass
from django.db import migrations, models
from django.db.models.functions import Upper

from taskapi.postgres_only import PostgresOnlyExtension, PostgresOnlyGinIndex


def analyze_tasks(apps, schema_editor):
    # SQLite has no search index, and its ANALYZE would change how it plans everything else.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ANALYZE tasks_task")


class Migration(migrations.Migration):
    dependencies = [
        ("tasks", "0007_priorities_and_tags"),
    ]

    operations = [
        PostgresOnlyExtension("pg_trgm"),
        PostgresOnlyExtension("btree_gin"),
        migrations.AddIndex(
            model_name="task",
            index=PostgresOnlyGinIndex(
                models.F("user"),
                OpClass(Upper("title"), name="gin_trgm_ops"),
                OpClass(Upper("description"), name="gin_trgm_ops"),
                name="task_search_trgm_idx",
            ),
        ),
        migrations.RunPython(analyze_tasks, migrations.RunPython.noop, elidable=True),
    ]
