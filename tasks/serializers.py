"""Task input and output: strict types, trimmed titles, server-managed timestamps."""

from rest_framework import serializers

from taskapi.fields import StrictBooleanField, StrictCharField, StrictDateTimeField
from taskapi.serializers import FieldsBuiltOnce, RefusesUnknownFields
from tasks.models import DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH, Task

# What a client sees of a task: each is a column of tasks_task, under its attribute name.
# Lists, the changes feed and the benchmark's floor read exactly these with `.values()` and
# send the rows as they come, skipping the serializer, so a field that is not a column (a
# method field, a relation) cannot join the output without changing them too; a test fails
# if it is tried.
TASK_COLUMNS = (
    "id",
    "user_id",
    "title",
    "description",
    "due_date",
    "completed",
    "completed_at",
    "created_at",
    "updated_at",
    "version",
)
# The columns no body can set; a body may still carry them (what a client read), to no effect.
TASK_READ_ONLY_COLUMNS = ("id", "user_id", "completed_at", "created_at", "updated_at", "version")


class TaskSerializer(RefusesUnknownFields, FieldsBuiltOnce, serializers.ModelSerializer):
    """A task as clients see it; `id`, `user_id` and the timestamps are read-only."""

    user_id = serializers.UUIDField(read_only=True)
    title = StrictCharField(max_length=TITLE_MAX_LENGTH, trim_whitespace=True)
    description = StrictCharField(
        max_length=DESCRIPTION_MAX_LENGTH,
        required=False,
        allow_null=True,
        allow_blank=True,
        trim_whitespace=False,
    )
    due_date = StrictDateTimeField(required=False, allow_null=True)
    completed = StrictBooleanField(required=False)

    # What PUT sets for an optional field the body leaves out: a full replace.
    REPLACE_DEFAULTS = {"description": None, "due_date": None, "completed": False}

    class Meta:
        model = Task
        fields = list(TASK_COLUMNS)
        read_only_fields = list(TASK_READ_ONLY_COLUMNS)

    def to_representation(self, task: Task) -> dict:
        # Native values, written by the orjson renderer: DRF's per-field formatting cost
        # more than the database query on a page of tasks.
        return {column: getattr(task, column) for column in TASK_COLUMNS}

    def create(self, validated_data) -> Task:
        completed = validated_data.pop("completed", False)
        task = Task(**validated_data)
        task.mark_completed(completed)
        task.save(force_insert=True)
        return task

    def changes(self) -> dict:
        """The validated fields as the changes a write makes (see TaskQuerySet.apply_changes):
        PATCH changes what it sends; PUT, a full replace, also resets every optional field
        the body leaves out."""
        if self.partial:
            return dict(self.validated_data)
        return {**self.REPLACE_DEFAULTS, **self.validated_data}


class TaskCompletionSerializer(RefusesUnknownFields, FieldsBuiltOnce, serializers.Serializer):
    # A task as read may come back with the change: its read-only fields are ignored here as
    # in a PUT, while a writable one (a title) is refused, since this route would not apply
    # it. A comment, not a docstring: the API documentation would show a docstring.
    ignored_fields = TASK_READ_ONLY_COLUMNS

    completed = StrictBooleanField()
