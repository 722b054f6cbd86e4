"""Factories for tasks, and the JSON the API shows for a task."""

import datetime

import factory
from django.utils import timezone

from accounts.tests.factories import UserFactory
from tasks.models import Tag, TagSet, Task


class TaskFactory(factory.django.DjangoModelFactory):
    """A pending task without description or due date; `completed=True` stamps
    `completed_at` too, so every built row satisfies the model's constraints."""

    class Meta:
        model = Task

    user = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Task {n}")
    description = None
    due_date = None
    completed = False
    completed_at = factory.LazyAttribute(lambda task: timezone.now() if task.completed else None)

    @classmethod
    def _create(cls, model_class, *args, tags=(), **kwargs):
        """Saved the way the API saves a task: `tags=["work"]` creates the tags where new."""
        task = model_class(*args, **kwargs)
        return model_class.objects.insert(task, TagSet(task.user_id, list(tags)))


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag

    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"tag {n}")


def iso(value: datetime.datetime | None) -> str | None:
    """A datetime as the API writes it: ISO 8601 in UTC, with a `Z`."""
    if value is None:
        return None
    return value.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def task_json(task: Task) -> dict:
    """The task as the API shows it, read from the row (refresh the instance first)."""
    return {
        "id": str(task.id),
        "user_id": str(task.user_id),
        "title": task.title,
        "description": task.description,
        "due_date": iso(task.due_date),
        "completed": task.completed,
        "completed_at": iso(task.completed_at),
        "priority": task.priority,
        "tags": task.tags,
        "created_at": iso(task.created_at),
        "updated_at": iso(task.updated_at),
        "version": task.version,
    }
