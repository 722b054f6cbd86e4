"""How the task list sorts: by one of six fields, then by id, each way.

The list (tasks/filters.py) orders with `order_by_sort()`, and the keyset cursor
(tasks/pagination.py) seeks by the same column through `sort_column()`, so the two cannot
disagree about what comes next.
"""

from django.db.models import CharField, F, Func, QuerySet

from tasks.priorities import PRIORITY_RANK, PriorityRank

SORT_FIELDS = ("created_at", "updated_at", "due_date", "title", "completed_at", "priority")
SORT_CHOICES = [*SORT_FIELDS, *(f"-{field}" for field in SORT_FIELDS)]
NULLABLE_SORT_FIELDS = {"due_date", "completed_at"}


def title_sort_key(title: str) -> str:
    """What titles sort by, as TitleSortKey computes it in the database: the title with its
    ASCII letters lower-cased, compared by code point."""
    return title.encode().lower().decode()


class TitleSortKey(Func):
    """Titles sort case-insensitively, and alike on every database: ASCII letters are
    lower-cased and the result compares by Unicode code point, which is SQLite's own
    order (its LOWER folds ASCII only, and BINARY compares UTF-8 bytes). On PostgreSQL
    the C collation gives the same: LOWER then folds ASCII only, and compares bytes,
    whatever the database's locale. So `alpha 2` sorts next to `Alpha`, and accented
    letters after `z` (`É` before `é`)."""

    function = "LOWER"
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, template='LOWER(%(expressions)s COLLATE "C")', **extra_context
        )


# Sorts that order by an expression rather than the column itself: the alias the list's
# queryset gives it, the expression, and the same computed in Python (for the cursor).
SORT_KEYS = {
    "title": ("title_sort_key", TitleSortKey("title"), title_sort_key),
    "priority": ("priority_rank", PriorityRank("priority"), PRIORITY_RANK.__getitem__),
}


def sort_column(field: str) -> str:
    """The name a sorted queryset orders and seeks by for `field`."""
    return SORT_KEYS[field][0] if field in SORT_KEYS else field


def sort_key_value(field: str, value):
    """What a task whose `field` is `value` sorts by: the value itself, or its sort key."""
    return SORT_KEYS[field][2](value) if field in SORT_KEYS else value


def order_by_sort(queryset: QuerySet, sort: str) -> QuerySet:
    """Sorts by the field `sort` names (`-` for descending), then by id the same way.

    The id tie-break makes the order total, so consecutive pages never overlap or skip.
    Missing due dates and completion times sort last whichever the direction.
    """
    descending = sort.startswith("-")
    field = sort.lstrip("-")
    if field in SORT_KEYS:
        alias, expression, _ = SORT_KEYS[field]
        queryset = queryset.alias(**{alias: expression})
    nulls_last = {"nulls_last": True} if field in NULLABLE_SORT_FIELDS else {}
    column = sort_column(field)
    primary = F(column).desc(**nulls_last) if descending else F(column).asc(**nulls_last)
    tie_break = F("id").desc() if descending else F("id").asc()
    return queryset.order_by(primary, tie_break)
