"""Query parameters of the task list: validated strictly, then applied to a queryset."""

from django.db.models import F, Q, QuerySet
from rest_framework import serializers

from tasks.fields import DateOrDateTimeBoundField, StrictCharField

SORT_FIELDS = ("created_at", "updated_at", "due_date", "title", "completed_at")
SORT_CHOICES = [*SORT_FIELDS, *(f"-{field}" for field in SORT_FIELDS)]
NULLABLE_SORT_FIELDS = {"due_date", "completed_at"}
STATUS_CHOICES = ("all", "pending", "completed")
MAX_LIMIT = 100
# Past this, OFFSET scans would make one request cost seconds; it also keeps the value inside
# a 64-bit integer on every database.
MAX_OFFSET = 1_000_000
SEARCH_MAX_LENGTH = 255


class TaskListQuery(serializers.Serializer):
    """The list's query string. Unknown parameters are ignored; known ones must be valid."""

    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, default=10)
    offset = serializers.IntegerField(min_value=0, max_value=MAX_OFFSET, default=0)
    status = serializers.ChoiceField(choices=STATUS_CHOICES, default="all")
    sort = serializers.ChoiceField(choices=SORT_CHOICES, default="-created_at")
    # An empty `search=` is what a cleared search box sends: no filter, not an error.
    search = StrictCharField(
        max_length=SEARCH_MAX_LENGTH, required=False, trim_whitespace=True, allow_blank=True
    )
    due_after = DateOrDateTimeBoundField(upper=False, required=False)
    due_before = DateOrDateTimeBoundField(upper=True, required=False)
    completed_after = DateOrDateTimeBoundField(upper=False, required=False)
    completed_before = DateOrDateTimeBoundField(upper=True, required=False)

    repeated: tuple[str, ...] = ()

    @classmethod
    def bind(cls, query_params) -> "TaskListQuery":
        """Binds a QueryDict; a known parameter given more than once is an error."""
        names = [name for name in cls._declared_fields if name in query_params]
        query = cls(data={name: query_params[name] for name in names})
        query.repeated = tuple(name for name in names if len(query_params.getlist(name)) > 1)
        return query

    def to_internal_value(self, data):
        errors = {name: ["Give this parameter at most once."] for name in self.repeated}
        try:
            values = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({**exc.detail, **errors}) from None
        if errors:
            raise serializers.ValidationError(errors)
        return values


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

    def order(self, queryset: QuerySet) -> QuerySet:
        """Sorts by the requested field, then by id in the same direction.

        The id tie-break makes the order total, so consecutive pages never overlap or skip.
        Missing due dates and completion times sort last whichever the direction.
        """
        sort = self.params["sort"]
        descending = sort.startswith("-")
        field = sort.lstrip("-")
        nulls_last = {"nulls_last": True} if field in NULLABLE_SORT_FIELDS else {}
        primary = F(field).desc(**nulls_last) if descending else F(field).asc(**nulls_last)
        tie_break = F("id").desc() if descending else F("id").asc()
        return queryset.order_by(primary, tie_break)
