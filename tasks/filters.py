"""Query parameters of the task list: validated strictly, then applied to a queryset."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db.models import CharField, F, Func, Q, QuerySet, Subquery
from django.db.models.expressions import CombinedExpression
from rest_framework import serializers

from taskapi.cursors import CursorField, decode_cursor, encode_cursor
from taskapi.fields import DateOrDateTimeBoundField, QueryIntegerField, StrictCharField
from taskapi.pagination import page_payload
from taskapi.query import QueryParameters
from tasks.models import TaskLedger
from tasks.serializers import TASK_COLUMNS

SORT_FIELDS = ("created_at", "updated_at", "due_date", "title", "completed_at")
SORT_CHOICES = [*SORT_FIELDS, *(f"-{field}" for field in SORT_FIELDS)]
NULLABLE_SORT_FIELDS = {"due_date", "completed_at"}
STATUS_CHOICES = ("all", "pending", "completed")
MAX_LIMIT = 100
# Past this, OFFSET scans would make one request cost seconds; it also keeps the value inside
# a 64-bit integer on every database.
MAX_OFFSET = 1_000_000
SEARCH_MAX_LENGTH = 255
# Filters that the per-user counts cannot answer; any of them means a real COUNT(*).
ROW_FILTERS = ("due_after", "due_before", "completed_after", "completed_before", "search")
# The ledger's total, read along with a page's rows (never sent: see TaskFilter.page).
PAGE_TOTAL = "_page_total"


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


# Sorts that order by an expression rather than the column itself, under the alias the
# list's queryset gives it.
SORT_KEYS = {"title": ("title_sort_key", TitleSortKey("title"))}


def sort_column(field: str) -> str:
    """The name a sorted queryset orders and seeks by for `field`."""
    return SORT_KEYS[field][0] if field in SORT_KEYS else field


@dataclass(frozen=True)
class TaskCursor:
    """A position in a sorted list: the sort, and the sort value and id of the last task seen.

    Clients treat it as opaque (URL-safe base64 of JSON). Walking with it costs the same at
    position 50,000 as at the first page, where OFFSET would read and skip every row before.
    """

    sort: str
    value: datetime | str | None
    id: uuid.UUID

    @property
    def field(self) -> str:
        return self.sort.lstrip("-")

    def encode(self) -> str:
        value = self.value.isoformat() if isinstance(self.value, datetime) else self.value
        return encode_cursor([self.sort, value, str(self.id)])

    @classmethod
    def after(cls, sort: str, item: dict) -> str:
        """The cursor for the page after `item`, a task row in list order."""
        field = sort.lstrip("-")
        value = item[field]
        if field == "title":
            value = title_sort_key(value)
        return cls(sort, value, item["id"]).encode()

    @classmethod
    def decode(cls, text: str) -> "TaskCursor":
        """Raises ValueError for anything `encode` did not make."""
        try:
            sort, value, task_id = decode_cursor(text)
        except TypeError:
            raise ValueError("not a cursor") from None
        if sort not in SORT_CHOICES or not (value is None or isinstance(value, str)):
            raise ValueError("not a cursor")
        field = sort.lstrip("-")
        if value is None and field not in NULLABLE_SORT_FIELDS:
            raise ValueError("not a cursor")
        if value is not None and field != "title":
            value = datetime.fromisoformat(value)
            if value.tzinfo is None:
                raise ValueError("not a cursor")
        return cls(sort, value, uuid.UUID(str(task_id)))


class TaskListQuery(QueryParameters):
    """The list's query string. Unknown parameters are ignored; known ones must be valid."""

    # allow_blank on `status` and `sort` only tells the OpenAPI document that an empty value
    # is accepted: bind() drops it before validation, so the default applies.
    empty_means_absent = frozenset({"search", "sort", "status"})
    limit = QueryIntegerField(min_value=1, max_value=MAX_LIMIT, default=10)
    offset = QueryIntegerField(min_value=0, max_value=MAX_OFFSET, default=0)
    status = serializers.ChoiceField(choices=STATUS_CHOICES, default="all", allow_blank=True)
    sort = serializers.ChoiceField(choices=SORT_CHOICES, default="-created_at", allow_blank=True)
    # An empty `search=` is what a cleared search box sends: no filter, not an error.
    search = StrictCharField(
        max_length=SEARCH_MAX_LENGTH, required=False, trim_whitespace=True, allow_blank=True
    )
    due_after = DateOrDateTimeBoundField(upper=False, required=False)
    due_before = DateOrDateTimeBoundField(upper=True, required=False)
    completed_after = DateOrDateTimeBoundField(upper=False, required=False)
    completed_before = DateOrDateTimeBoundField(upper=True, required=False)
    cursor = CursorField(
        TaskCursor,
        max_length=1024,
        required=False,
        help_text=(
            "`pagination.next_cursor` of the previous page: continues the walk from there "
            "at any depth for the cost of a first page. Use instead of `offset`, with the "
            "same `sort`."
        ),
    )

    def validate(self, attrs):
        cursor = attrs.get("cursor")
        if cursor is not None and "offset" in self.initial_data:
            raise serializers.ValidationError({"cursor": ["Give either cursor or offset."]})
        if cursor is not None and cursor.sort != attrs["sort"]:
            raise serializers.ValidationError(
                {"cursor": [f"This cursor walks sort={cursor.sort}; send that sort with it."]}
            )
        return attrs


class TaskFilter:
    """Applies a validated TaskListQuery: filters, search and a total, stable order."""

    def __init__(self, params: dict):
        self.params = params

    def filter(self, queryset: QuerySet) -> QuerySet:
        params = self.params
        if params["status"] == "pending":
            queryset = queryset.filter(completed=False)
        elif params["status"] == "completed":
            queryset = queryset.filter(completed=True)
        if "due_after" in params:
            queryset = queryset.filter(due_date__gte=params["due_after"])
        if "due_before" in params:
            queryset = queryset.filter(due_date__lte=params["due_before"])
        if "completed_after" in params:
            queryset = queryset.filter(completed_at__gte=params["completed_after"])
        if "completed_before" in params:
            queryset = queryset.filter(completed_at__lte=params["completed_before"])
        if params.get("search"):
            term = params["search"]
            queryset = queryset.filter(Q(title__icontains=term) | Q(description__icontains=term))
        return queryset

    def ledger_column(self) -> F | CombinedExpression | None:
        """Where the user's ledger keeps the number of matching tasks, or None when a filter
        other than `status` applies and only counting the rows can tell."""
        if any(self.params.get(name) for name in ROW_FILTERS):
            return None
        return {
            "all": F("total"),
            "pending": F("total") - F("completed"),
            "completed": F("completed"),
        }[self.params["status"]]

    def page(self, queryset: QuerySet, user_id) -> dict:
        """The page the parameters ask for, in the list's shape (taskapi/pagination.py), its
        rows read straight from the database in the response's shape.

        When the ledger knows the total, the total rides along with the page's rows, so the
        page costs one query (and total and rows come from one snapshot); an empty page
        asks the ledger on its own. Otherwise the rows are counted first, and an offset past
        the end skips the page query.
        """
        params = self.params
        limit, cursor = params["limit"], params.get("cursor")
        matching = self.filter(queryset)
        column = self.ledger_column()
        if column is None:
            total = matching.count()
            extra = {}
        else:
            total = None
            ledger = TaskLedger.objects.owned_by(user_id).values_list(column, flat=True)
            extra = {PAGE_TOTAL: Subquery(ledger[:1])}
        rows = self.order(matching).values(*TASK_COLUMNS, **extra)
        if cursor is not None:
            page = list(self.seek(rows, cursor)[: limit + 1])
            items, has_more, offset = page[:limit], len(page) > limit, None
        else:
            offset = params["offset"]
            past_the_end = total is not None and offset >= total
            items = [] if past_the_end else list(rows[offset : offset + limit])
        if total is None:
            total = items[0][PAGE_TOTAL] if items else (ledger.first() or 0)
            for item in items:
                del item[PAGE_TOTAL]
        if cursor is None:
            has_more = offset + len(items) < total
        return page_payload(
            items,
            limit=limit,
            offset=offset,
            total=total,
            has_more=has_more,
            next_cursor=TaskCursor.after(params["sort"], items[-1]) if has_more else None,
        )

    def seek(self, queryset: QuerySet, cursor: TaskCursor) -> QuerySet:
        """The tasks that come after the cursor in its sort order.

        Written as `field <= v AND (field < v OR id < last)` (descending; mirrored when
        ascending) rather than the plain OR, so the database can start its index scan at v
        instead of filtering every row before it.
        """
        field = sort_column(cursor.field)
        later = "lt" if cursor.sort.startswith("-") else "gt"
        if cursor.value is None:
            # Inside the trailing run of tasks without a value: only the id orders them.
            return queryset.filter(**{f"{field}__isnull": True, f"id__{later}": cursor.id})
        condition = Q(**{f"{field}__{later}e": cursor.value}) & (
            Q(**{f"{field}__{later}": cursor.value}) | Q(**{f"id__{later}": cursor.id})
        )
        if field in NULLABLE_SORT_FIELDS:
            condition |= Q(**{f"{field}__isnull": True})
        return queryset.filter(condition)

    def order(self, queryset: QuerySet) -> QuerySet:
        """Sorts by the requested field, then by id in the same direction.

        The id tie-break makes the order total, so consecutive pages never overlap or skip.
        Missing due dates and completion times sort last whichever the direction.
        """
        sort = self.params["sort"]
        descending = sort.startswith("-")
        field = sort.lstrip("-")
        if field in SORT_KEYS:
            alias, expression = SORT_KEYS[field]
            queryset = queryset.alias(**{alias: expression})
        nulls_last = {"nulls_last": True} if field in NULLABLE_SORT_FIELDS else {}
        column = sort_column(field)
        primary = F(column).desc(**nulls_last) if descending else F(column).asc(**nulls_last)
        tie_break = F("id").desc() if descending else F("id").asc()
        return queryset.order_by(primary, tie_break)
