"""Task input and output: strict types, trimmed titles, server-managed timestamps."""

from rest_framework import serializers

from taskapi.exceptions import PreconditionFailed
from tasks.fields import StrictBooleanField, StrictCharField, StrictDateTimeField
from tasks.models import DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH, Task


class TaskSerializer(serializers.ModelSerializer):
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
        fields = [
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
        ]
        read_only_fields = ["id", "completed_at", "created_at", "updated_at", "version"]

    def to_representation(self, task: Task) -> dict:
        # Native values, written by the orjson renderer: DRF's per-field formatting cost
        # more than the database query on a page of tasks.
        return {field: getattr(task, field) for field in self.Meta.fields}

    def create(self, validated_data) -> Task:
        completed = validated_data.pop("completed", False)
        task = Task(**validated_data)
        task.mark_completed(completed)
        task.save(force_insert=True)
        return task

    def update(self, instance: Task, validated_data) -> Task:
        """Writes only the columns whose values change (see Task.save_changes); a request
        that changes nothing writes nothing and keeps the version."""
        if not self.partial:
            validated_data = {**self.REPLACE_DEFAULTS, **validated_data}
        changed = []
        if "completed" in validated_data:
            done = validated_data.pop("completed")
            if done != instance.completed:
                instance.mark_completed(done)
                changed += ["completed", "completed_at"]
        for field, value in validated_data.items():
            if getattr(instance, field) != value:
                setattr(instance, field, value)
                changed.append(field)
        if changed and not instance.save_changes(changed):
            raise PreconditionFailed()
        return instance


class TaskCompletionSerializer(serializers.Serializer):
    completed = StrictBooleanField()
