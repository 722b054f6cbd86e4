"""The columns a task is sent as: what the serializer shows is what `.values()` reads."""

from tasks.models import Task
from tasks.serializers import TASK_COLUMNS, TaskSerializer
from tasks.tests.factories import TaskFactory


def test_every_task_field_a_client_sees_is_a_column_read_as_is():
    """Lists, the changes feed and the floor send `.values(*TASK_COLUMNS)` rows without the
    serializer; a field that is not a plain column would be missing from them."""
    columns = {field.attname for field in Task._meta.concrete_fields}

    assert list(TaskSerializer().fields) == list(TASK_COLUMNS)
    assert set(TASK_COLUMNS) <= columns


def test_a_task_as_serialized_is_its_row_as_read(user):
    task = TaskFactory(user=user, description="notes")

    assert TaskSerializer(task).data == Task.objects.values(*TASK_COLUMNS).get(pk=task.pk)
