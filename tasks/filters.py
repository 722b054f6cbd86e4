"""Query parameters of the task list: validated strictly, then applied to a queryset as
filters. Ordering is tasks/ordering.py's, paging tasks/pagination.py's."""

from django.db.models import F, QuerySet
from django.db.models.expressions import CombinedExpression
from rest_framework import serializers

from taskapi.cursors import CursorField
from taskapi.fields import DateOrDateTimeBoundField, QueryIntegerField, StrictCharField
from taskapi.query import QueryParameters
from tasks.ordering import SORT_CHOICES
from tasks.pagination import TaskCursor

STATUS_CHOICES = ("all", "pending", "completed")
MAX_LIMIT = 100
# Past this, OFFSET scans would make one request cost seconds; it also keeps the value inside
# a 64-bit integer on every database.
MAX_OFFSET = 1_000_000
SEARCH_MAX_LENGTH = 255
# Filters that the per-user counts cannot answer; any of them means a real COUNT(*).
ROW_FILTERS = ("due_after", "due_before", "completed_after", "completed_before", "search")


class TaskListQuery(QueryParameters):
    """The list's query string. Unknown parameters are ignored; known ones must be valid."""

    # allow_blank: an empty value is the same as leaving the parameter out (QueryParameters),
    # so the default applies, and the OpenAPI document says it is accepted.
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
    """Applies a validated TaskListQuery's filters and search, and tells where the total of
    what they match can be read."""

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
            queryset = queryset.search(params["search"])
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
