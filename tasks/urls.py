"""Task routes under /api/{user_id}/tasks and tag routes under /api/{user_id}/tags
(declared without a trailing slash)."""

from django.urls import path, register_converter

from tasks.converters import AnyCaseUUIDConverter
from tasks.views import TagViewSet, TaskViewSet

register_converter(AnyCaseUUIDConverter, "task_uuid")

task_list = TaskViewSet.as_view({"get": "list", "post": "create"})
task_detail = TaskViewSet.as_view(
    {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"}
)
task_complete = TaskViewSet.as_view({"patch": "complete"})
task_changes = TaskViewSet.as_view({"get": "changes"})
tag_list = TagViewSet.as_view({"get": "list", "post": "create"})
tag_detail = TagViewSet.as_view({"get": "retrieve", "patch": "partial_update", "delete": "destroy"})

urlpatterns = [
    path("<str:user_id>/tasks", task_list, name="task-list"),
    path("<str:user_id>/tasks/changes", task_changes, name="task-changes"),
    path("<str:user_id>/tasks/<task_uuid:task_id>", task_detail, name="task-detail"),
    path("<str:user_id>/tasks/<task_uuid:task_id>/complete", task_complete, name="task-complete"),
    path("<str:user_id>/tags", tag_list, name="tag-list"),
    path("<str:user_id>/tags/<task_uuid:tag_id>", tag_detail, name="tag-detail"),
]
