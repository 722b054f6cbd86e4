"""Factories for tasks, and the JSON the API shows for a task."""

import datetime

import factory
from django.utils import timezone

from accounts.tests.factories import UserFactory
from tasks.models import Task


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
        "created_at": iso(task.created_at),
        "updated_at": iso(task.updated_at),
        "version": task.version,
    }
