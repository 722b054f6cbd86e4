"""Query parameters of the task list: validated strictly, then applied to a queryset as
filters. Ordering is tasks/ordering.py's, paging tasks/pagination.py's."""

from functools import cached_property

from django.db.models import Count, F, QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from taskapi.cursors import CursorField
from taskapi.fields import (
    TRIMMED,
    DateOrDateTimeBoundField,
    QueryIntegerField,
    StrictCharField,
    input_pattern,
)
from taskapi.query import QueryParameters
from tasks.models import TAGS_PER_TASK, Tag, TaskLedger, TaskTag, tag_key
from tasks.ordering import SORT_CHOICES
from tasks.pagination import TaskCursor
from tasks.priorities import PRIORITIES
from tasks.serializers import TagNameField

STATUS_CHOICES = ("all", "pending", "completed")
MAX_LIMIT = 100
# Past this, OFFSET scans would make one request cost seconds; it also keeps the value inside
# a 64-bit integer on every database.
MAX_OFFSET = 1_000_000
SEARCH_MAX_LENGTH = 255
# Filters that the per-user counts cannot answer; any of them means a real COUNT(*).
ROW_FILTERS = (
    "due_after",
    "due_before",
    "completed_after",
    "completed_before",
    "search",
    "priority",
    "tag",
)


def listed(item: str, max_items: int | None = None) -> str:
    """A regex for `item`s separated by commas (at most `max_items`), or nothing: an empty
    value means no filter, like every list parameter's."""
    more = "*" if max_items is None else f"{{0,{max_items - 1}}}"
    return f"^(?:{item}(?:,{item}){more})?$"


# Each value may be padded with what str.strip() removes, as the server strips it.
PRIORITY_LIST_PATTERN = listed(f"[{TRIMMED}]*(?:{'|'.join(PRIORITIES)})[{TRIMMED}]*")
TAG_LIST_PATTERN = listed(input_pattern(TagNameField()).strip("^$"), TAGS_PER_TASK)


class CommaSeparatedField(serializers.CharField):
    """A query parameter listing values separated by commas, each stripped and checked by
    `child`; the values, without repeats, in the order given. `max_items` bounds how many
    are sent, repeats included, as the schema's pattern does."""

    default_error_messages = {"too_many": "Give at most {max_items} values."}

    def __init__(self, *, child: serializers.Field, max_items: int | None = None, **kwargs):
        super().__init__(trim_whitespace=False, **kwargs)
        self.child, self.max_items = child, max_items

    def to_internal_value(self, data) -> list:
        texts = super().to_internal_value(data).split(",")
        if self.max_items is not None and len(texts) > self.max_items:
            self.fail("too_many", max_items=self.max_items)
        values = []
        for text in texts:
            try:
                value = self.child.run_validation(text.strip())
            except serializers.ValidationError as exc:
                raise serializers.ValidationError(
                    [f"{text.strip()!r}: {message}" for message in exc.detail]
                ) from None
            if value not in values:
                values.append(value)
        return values


@extend_schema_field({"type": "string", "pattern": PRIORITY_LIST_PATTERN})
class PriorityListField(CommaSeparatedField):
    def __init__(self, **kwargs):
        super().__init__(child=serializers.ChoiceField(choices=PRIORITIES), **kwargs)


@extend_schema_field({"type": "string", "pattern": TAG_LIST_PATTERN})
class TagListField(CommaSeparatedField):
    """Tag names, as their keys (tag_key), so the filter matches names case-insensitively."""

    def __init__(self, **kwargs):
        super().__init__(child=TagNameField(), max_items=TAGS_PER_TASK, **kwargs)

    def to_internal_value(self, data) -> list[str]:
        return list(dict.fromkeys(tag_key(name) for name in super().to_internal_value(data)))


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
    priority = PriorityListField(
        required=False,
        allow_blank=True,
        help_text="Tasks of any of these priorities: `high`, or several, `high,medium`.",
    )
    tag = TagListField(
        required=False,
        allow_blank=True,
        help_text=(
            "Tasks carrying every one of these tags, by name, case-insensitively: `work`, or "
            "`work,errands` for both (at most 20). A name you have no tag for matches nothing."
        ),
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
    """Applies a validated TaskListQuery's filters and search to the tasks of `owner_id`, and
    tells where the total of what they match can be read."""

    def __init__(self, params: dict, owner_id):
        self.params = params
        self.owner_id = owner_id

    @cached_property
    def row_filters(self) -> set[str]:
        """The filters given that the ledger cannot count (every one but `status`)."""
        return {name for name in ROW_FILTERS if self.params.get(name)}

    @cached_property
    def counts_one_tag(self) -> bool:
        """Whether the only row filter is one tag, and the total is then its links'."""
        return (
            self.row_filters == {"tag"}
            and len(self.params["tag"]) == 1
            and self.params["status"] == "all"
        )

    @cached_property
    def single_tag_id(self):
        """The id of the one tag `tag=` names (None if the owner has no such tag).

        Looked up before the page's query (the list's second query, where another row filter
        would count), so that the page's query names the id: the database then knows how many
        tasks carry it (a tag of a user with 100,000 tasks may carry 7,500, most carry a few)
        and walks the sort's index probing each task, where a query for the id would leave it
        to guess the average and read every link first (1.7 ms against 87 ms for the heavy
        user's first page). Otherwise tags are looked up within the queries."""
        tags = Tag.objects.owned_by(self.owner_id).keyed(self.params["tag"][0])
        # Not first(): its ORDER BY id would let the planner walk every tag by id.
        return next(iter(tags.values_list("pk", flat=True)[:1]), None)

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
        if params.get("priority"):
            queryset = queryset.filter(priority__in=params["priority"])
        if self.counts_one_tag:
            tag_id = self.single_tag_id
            queryset = queryset.none() if tag_id is None else queryset.carrying(tag_id)
        else:
            for key in params.get("tag") or ():
                tag = Tag.objects.owned_by(self.owner_id).keyed(key).values("pk")[:1]
                queryset = queryset.carrying(tag)
        return queryset

    def known_total(self) -> QuerySet | None:
        """A query for the number of matching tasks that need not count them (one row, one
        value), or None when only counting the rows can tell.

        Without row filters the owner's ledger keeps it, for each `status`. With one tag and
        nothing else, the tag's links are the count (a task's links go when it is deleted),
        read from the (tag, task) index alone.
        """
        if not self.row_filters:
            column = {
                "all": F("total"),
                "pending": F("total") - F("completed"),
                "completed": F("completed"),
            }[self.params["status"]]
            return TaskLedger.objects.owned_by(self.owner_id).values_list(column, flat=True)
        if self.counts_one_tag and self.single_tag_id is not None:
            links = TaskTag.objects.filter(tag_id=self.single_tag_id).values("tag_id")
            return links.annotate(total=Count("*")).values_list("total", flat=True)
        return None


class TagListQuery(QueryParameters):
    limit = QueryIntegerField(min_value=1, max_value=MAX_LIMIT, default=10)
    offset = QueryIntegerField(min_value=0, max_value=MAX_OFFSET, default=0)
