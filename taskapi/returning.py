"""UPDATE ... RETURNING for querysets: a write that answers with the row it wrote needs no
second query to read it back.

Django 5.2's `QuerySet.update()` returns only a row count. `update_returning()` compiles the
same UPDATE with Django's own compiler and adds the RETURNING clause Django already uses for
inserts, so filters, expressions (F, Coalesce) and value preparation behave exactly as in
`update()`. PostgreSQL and SQLite (3.35 or newer) both support it.

That leans on private parts of Django (the compiler, `connection.ops.return_insert_columns`,
which Django 6.0 renames), so it is used only where `can_update_returning()` finds them.
Elsewhere the same answer comes from the public API: the matching rows locked and read, then
one `update()` of those rows, then a read of them as written, in one transaction.
"""

from collections.abc import Collection

from django.core.exceptions import EmptyResultSet
from django.db import connections, models, transaction
from django.db.models.sql import UpdateQuery


def can_update_returning(connection) -> bool:
    """Whether this Django and this database give what the one-query path relies on."""
    return (
        connection.vendor in {"postgresql", "sqlite"}
        and connection.features.can_return_columns_from_insert
        and callable(getattr(connection.ops, "return_insert_columns", None))
        and hasattr(UpdateQuery, "add_update_values")
    )


class ReturningQuerySet(models.QuerySet):
    def update_returning(
        self, values: dict, *, deferred: Collection[str] = ()
    ) -> list[models.Model]:
        """Like `update(**values)`, but returns the rows it wrote, as instances loaded with
        every field as the UPDATE left it, but those named in `deferred`.

        A value a trigger sets after the row is written (an AFTER trigger on SQLite) is not
        what RETURNING reports: defer such a field, and it is read when first used.
        """
        if can_update_returning(connections[self.db]):
            return self._update_returning_in_one_query(values, deferred)
        return self._update_then_read(values, deferred)

    def _update_returning_in_one_query(
        self, values: dict, deferred: Collection[str]
    ) -> list[models.Model]:
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

    def _update_then_read(self, values: dict, deferred: Collection[str]) -> list[models.Model]:
        """The same answer through the public API, in three queries: the rows the filter
        matches, locked (the UPDATE may change what the filter matches); the update of
        exactly those rows; and a read of them as written."""
        with transaction.atomic(using=self.db):
            primary_keys = list(self.select_for_update().values_list("pk", flat=True))
            if not primary_keys:
                return []
            rows = self.model._base_manager.using(self.db).filter(pk__in=primary_keys)
            rows.update(**values)
            return list(rows.defer(*deferred))
