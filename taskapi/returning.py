"""UPDATE ... RETURNING for querysets: a write that answers with the row it wrote needs no
second query to read it back.

Django 5.2's `QuerySet.update()` returns only a row count. `update_returning()` compiles the
same UPDATE with Django's own compiler and adds the RETURNING clause Django already uses for
inserts, so filters, expressions (F, Coalesce) and value preparation behave exactly as in
`update()`. PostgreSQL and SQLite (3.35 or newer) both support it.
"""

from collections.abc import Collection

from django.core.exceptions import EmptyResultSet
from django.db import connections, models, transaction
from django.db.models.sql import UpdateQuery


class ReturningQuerySet(models.QuerySet):
    def update_returning(
        self, values: dict, *, deferred: Collection[str] = ()
    ) -> list[models.Model]:
        """Like `update(**values)`, but returns the rows it wrote, as instances loaded with
        every field as the UPDATE left it, but those named in `deferred`.

        A value a trigger sets after the row is written (an AFTER trigger on SQLite) is not
        what RETURNING reports: defer such a field, and it is read when first used.
        """
        self._for_write = True
        model = self.model
        # Model.from_db takes values in the order of the model's concrete fields.
        fields = [field for field in model._meta.concrete_fields if field.name not in deferred]

        query = self.query.chain(UpdateQuery)
        query.add_update_values(values)
        query.clear_select_clause()
        compiler = query.get_compiler(self.db)
        if query.related_updates:
            # Fields of a parent model (multi-table inheritance) take an UPDATE each.
            raise ValueError("update_returning() writes the fields of one table only.")
        try:
            update_sql, update_params = compiler.as_sql()
        except EmptyResultSet:  # a filter no row can match, such as `pk__in=[]`
            return []
        connection = connections[self.db]
        returning_sql, returning_params = connection.ops.return_insert_columns(fields)
        converters = compiler.get_converters(
            [field.get_col(model._meta.db_table) for field in fields]
        )

        with transaction.mark_for_rollback_on_error(using=self.db), connection.cursor() as cursor:
            cursor.execute(f"{update_sql} {returning_sql}", (*update_params, *returning_params))
            rows = cursor.fetchall()
        if converters:
            rows = compiler.apply_converters(rows, converters)
        attnames = [field.attname for field in fields]
        return [model.from_db(self.db, attnames, row) for row in rows]
