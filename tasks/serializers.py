"""Task and tag input and output: strict types, trimmed titles and tag names,
server-managed timestamps."""

import unicodedata

from rest_framework import serializers

from taskapi.fields import (
    StrictBooleanField,
    StrictCharField,
    StrictDateTimeField,
    StrictStringMixin,
    character_class_body,
)
from taskapi.serializers import FieldsBuiltOnce, RefusesUnknownFields
from tasks.models import (
    DESCRIPTION_MAX_LENGTH,
    TAG_NAME_MAX_LENGTH,
    TAGS_PER_TASK,
    TITLE_MAX_LENGTH,
    Tag,
    TagSet,
    Task,
    tag_key,
)
from tasks.priorities import DEFAULT_PRIORITY, PRIORITIES

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
    "priority",
    "tags",
    "created_at",
    "updated_at",
    "version",
)
# The columns no body can set; a body may still carry them (what a client read), to no effect.
TASK_READ_ONLY_COLUMNS = ("id", "user_id", "completed_at", "created_at", "updated_at", "version")


class StrictChoiceField(serializers.ChoiceField):
    """One of the choices, as a JSON string: DRF's ChoiceField would take `1` for `"1"`."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


CONTROL_CHARACTERS = character_class_body(
    [code for code in range(0x10000) if unicodedata.category(chr(code)) == "Cc"]
)


class TagNameField(StrictCharField):
    """A tag's name: 1 to 50 characters once trimmed, without control characters, and
    without commas, which separate the names of a `tag=` filter."""

    refused_characters = CONTROL_CHARACTERS + ","
    refused_description = "control characters or commas (tag= filters list names by commas)"

    def __init__(self, **kwargs):
        super().__init__(max_length=TAG_NAME_MAX_LENGTH, trim_whitespace=True, **kwargs)


class TagNamesField(serializers.ListField):
    """A task's tags by name, 0 to 20. Names that compare equal (tag_key) are one tag: the
    first spelling sent stands for them."""

    child = TagNameField()

    def __init__(self, **kwargs):
        super().__init__(max_length=TAGS_PER_TASK, **kwargs)

    def to_internal_value(self, data):
        names = {}
        for name in super().to_internal_value(data):
            names.setdefault(tag_key(name), name)
        return list(names.values())


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
    priority = StrictChoiceField(
        choices=PRIORITIES, required=False, help_text="`low`, `medium` or `high`."
    )
    tags = TagNamesField(
        required=False,
        help_text=(
            "The task's tags by name, at most 20. A name is 1 to 50 characters, trimmed, "
            "without control characters or commas. Names compare case-insensitively: one "
            "you have not used before creates the tag, one you have used (in any case) is "
            "that tag, spelled as the tag is. Listed in tag order: alphabetical by the "
            "case-folded name, character by character. On PATCH, the list replaces the "
            "task's tags; `[]` clears them."
        ),
    )

    # What PUT sets for an optional field the body leaves out: a full replace.
    REPLACE_DEFAULTS = {
        "description": None,
        "due_date": None,
        "completed": False,
        "priority": DEFAULT_PRIORITY,
        "tags": [],
    }

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
        tag_names = validated_data.pop("tags", [])
        task = Task(**validated_data)
        task.mark_completed(completed)
        return Task.objects.insert(task, TagSet(task.user_id, tag_names))

    def changes(self, owner_id) -> dict:
        """The validated fields as the changes a write makes (see TaskQuerySet.apply_changes)
        to a task of `owner_id`: PATCH changes what it sends; PUT, a full replace, also
        resets every optional field the body leaves out."""
        changes = dict(self.validated_data)
        if not self.partial:
            changes = {**self.REPLACE_DEFAULTS, **changes}
        if "tags" in changes:
            changes["tags"] = TagSet(owner_id, changes["tags"])
        return changes


class TaskCompletionSerializer(RefusesUnknownFields, FieldsBuiltOnce, serializers.Serializer):
    # A task as read may come back with the change: its read-only fields are ignored here as
    # in a PUT, while a writable one (a title) is refused, since this route would not apply
    # it. A comment, not a docstring: the API documentation would show a docstring.
    ignored_fields = TASK_READ_ONLY_COLUMNS

    completed = StrictBooleanField()


COLOR_PATTERN = r"^#[0-9a-fA-F]{6}$"


class ColorField(StrictStringMixin, serializers.RegexField):
    default_error_messages = {"invalid": "Must be #rrggbb."}

    def __init__(self, **kwargs):
        super().__init__(COLOR_PATTERN, **kwargs)

    def to_internal_value(self, data) -> str:
        return super().to_internal_value(data).lower()


class TagSerializer(RefusesUnknownFields, FieldsBuiltOnce, serializers.ModelSerializer):
    """One of your tags; its name compares case-insensitively with your others'."""

    name = TagNameField()
    color = ColorField(
        required=False, allow_null=True, help_text="`#rrggbb`, stored in lower case; null for none."
    )
    task_count = serializers.IntegerField(
        read_only=True, help_text="How many of your tasks (not deleted) carry the tag."
    )

    class Meta:
        model = Tag
        fields = ["id", "name", "color", "task_count", "created_at"]
        read_only_fields = ["id", "created_at"]
