"""How the task list is paged: by `offset` or by a keyset `cursor`, with an exact total.

`TaskPagination` is the task viewset's DRF pagination class. It reads the list parameters
the view validated (TaskListQuery), orders the filtered tasks (tasks/ordering.py) and
answers the list's shape (taskapi/pagination.py).
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet, Subquery
from rest_framework.pagination import BasePagination
from rest_framework.response import Response

from taskapi.cursors import decode_cursor, encode_cursor
from taskapi.pagination import page_payload
from tasks.ordering import (
    NULLABLE_SORT_FIELDS,
    SORT_CHOICES,
    order_by_sort,
    sort_column,
    sort_key_value,
)
from tasks.priorities import PRIORITY_RANK
from tasks.serializers import TASK_COLUMNS

# The known total, read along with a page's rows (never sent: see paginate_queryset).
PAGE_TOTAL = "_page_total"


@dataclass(frozen=True)
class TaskCursor:
    """A position in a sorted list: the sort, and the sort value and id of the last task seen.

    Clients treat it as opaque (URL-safe base64 of JSON). Walking with it costs the same at
    position 50,000 as at the first page, where OFFSET would read and skip every row before.
    """

    sort: str
    value: datetime | str | int | None
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
        return cls(sort, sort_key_value(field, item[field]), item["id"]).encode()

    @classmethod
    def decode(cls, text: str) -> "TaskCursor":
        """Raises ValueError for anything `encode` did not make."""
        try:
            sort, value, task_id = decode_cursor(text)
        except TypeError:
            raise ValueError("not a cursor") from None
        if sort not in SORT_CHOICES:
            raise ValueError("not a cursor")
        field = sort.lstrip("-")
        if field == "priority":
            if type(value) is not int or value not in PRIORITY_RANK.values():
                raise ValueError("not a cursor")
            return cls(sort, value, uuid.UUID(str(task_id)))
        if not (value is None or isinstance(value, str)):
            raise ValueError("not a cursor")
        if value is None and field not in NULLABLE_SORT_FIELDS:
            raise ValueError("not a cursor")
        if value is not None and field != "title":
            value = datetime.fromisoformat(value)
            if value.tzinfo is None:
                raise ValueError("not a cursor")
        return cls(sort, value, uuid.UUID(str(task_id)))


class TaskPagination(BasePagination):
    """A page of the view's filtered tasks, by offset or cursor, with the total."""

    def paginate_queryset(self, queryset: QuerySet, request, view=None) -> list[dict]:
        """The page the view's list parameters ask for, its rows read straight from the
        database in the response's shape; the rest of the list's shape is kept for
        get_paginated_response.

        When the total is known without counting (the ledger's, or a tag's links: see
        TaskFilter.known_total), it rides along with the page's rows, so the page costs one
        query (and total and rows come from one snapshot); an empty page asks for it on its
        own. Otherwise the rows are counted first, and an offset past
        the end skips the page query.
        """
        task_filter = view.task_filter
        params = task_filter.params
        limit, cursor = params["limit"], params.get("cursor")
        known_total = task_filter.known_total()
        if known_total is None:
            total = queryset.count()
            extra = {}
        else:
            total = None
            extra = {PAGE_TOTAL: Subquery(known_total[:1])}
        rows = order_by_sort(queryset, params["sort"]).values(*TASK_COLUMNS, **extra)
        if cursor is not None:
            page = list(self.seek(rows, cursor)[: limit + 1])
            items, has_more, offset = page[:limit], len(page) > limit, None
        else:
            offset = params["offset"]
            past_the_end = total is not None and offset >= total
            items = [] if past_the_end else list(rows[offset : offset + limit])
        if total is None:
            total = items[0][PAGE_TOTAL] if items else next(iter(known_total[:1]), 0)
            for item in items:
                del item[PAGE_TOTAL]
        if cursor is None:
            has_more = offset + len(items) < total
        self.pagination = {
            "limit": limit,
            "offset": offset,
            "total": total,
            "has_more": has_more,
            "next_cursor": TaskCursor.after(params["sort"], items[-1]) if has_more else None,
        }
        return items

    def get_paginated_response(self, data: list[dict]) -> Response:
        return Response(page_payload(data, **self.pagination))

    def get_schema_operation_parameters(self, view) -> list:
        # TaskListQuery documents limit, offset and cursor with the other parameters.
        return []

    @staticmethod
    def seek(queryset: QuerySet, cursor: TaskCursor) -> QuerySet:
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
