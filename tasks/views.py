"""The task routes: list, create, retrieve, replace, update, delete, complete, and the
changes feed for sync."""

from django.urls import reverse
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from taskapi.exceptions import PreconditionFailed
from tasks.filters import TaskFilter, TaskListQuery
from tasks.idempotency import create_once, idempotency_key
from tasks.models import Task, TaskQuerySet
from tasks.pagination import TaskPagination
from tasks.permissions import IsPathUser
from tasks.preconditions import if_match_versions, is_not_modified
from tasks.schema import task_api_schema
from tasks.serializers import TaskCompletionSerializer, TaskSerializer
from tasks.sync import ChangesQuery, changes_page


@task_api_schema
class TaskViewSet(viewsets.GenericViewSet):
    """The signed-in user's tasks, one method per route (tasks/urls.py): every action is
    written here, none is inherited from a DRF mixin.

    Every query starts from `owned_tasks()`, the requesting user's tasks: live ones through
    `get_queryset()`, tombstones in `missing()`, and the changes feed by the same
    `owned_by()`, so no route can reach another user's task."""

    serializer_class = TaskSerializer
    pagination_class = TaskPagination
    permission_classes = [IsAuthenticated, IsPathUser]
    lookup_url_kwarg = "task_id"

    def owned_tasks(self) -> TaskQuerySet:
        return Task.objects.owned_by(self.request.user.pk)

    def get_queryset(self):
        return self.owned_tasks().live()

    def missing(self) -> Exception:
        """What to answer for a task that is not live: 412 if the client held a version of
        it (If-Match) and it has since been deleted, else 404."""
        deleted = self.owned_tasks().filter(pk=self.kwargs["task_id"], deleted_at__isnull=False)
        if "If-Match" in self.request.headers and deleted.exists():
            return PreconditionFailed()
        return NotFound("Task not found.")

    def get_object(self) -> Task:
        try:
            return self.get_queryset().get(pk=self.kwargs["task_id"])
        except Task.DoesNotExist:
            raise NotFound("Task not found.") from None

    def task_response(self, task: Task, status_code: int = 200, headers=None) -> Response:
        headers = {"ETag": task.etag, **(headers or {})}
        return Response(self.get_serializer(task).data, status=status_code, headers=headers)

    def list(self, request, *args, **kwargs):
        query = TaskListQuery.bind(request.query_params)
        query.is_valid(raise_exception=True)
        self.task_filter = TaskFilter(query.validated_data)
        page = self.paginate_queryset(self.task_filter.filter(self.get_queryset()))
        return self.get_paginated_response(page)

    def retrieve(self, request, *args, **kwargs):
        task = self.get_object()
        if is_not_modified(request, task):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": task.etag})
        return self.task_response(task)

    def create(self, request, *args, **kwargs):
        key = idempotency_key(request)
        if key is None:
            return self.create_task(request)
        return create_once(request, request.user.pk, key, lambda: self.create_task(request))

    def create_task(self, request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        task = serializer.save(user_id=request.user.pk)
        location = reverse("task-detail", kwargs={"user_id": request.user.pk, "task_id": task.pk})
        return self.task_response(
            task, status.HTTP_201_CREATED, {"Location": request.build_absolute_uri(location)}
        )

    def update(self, request, *args, **kwargs):
        """PUT: a full replace."""
        return self.write_body(request, partial=False)

    def partial_update(self, request, *args, **kwargs):
        """PATCH: only the fields sent change."""
        return self.write_body(request, partial=True)

    def write_body(self, request, *, partial: bool) -> Response:
        serializer = self.get_serializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return self.write(request, serializer.changes())

    def write(self, request, changes: dict) -> Response:
        """Applies `changes` to the path's task (if it still has a version `If-Match` names)
        in one UPDATE, which returns the task as written.

        Nothing written means one of three things, told apart by reading the task: it is
        gone (404, or 412 to a conditional write), its version is not the one named (412),
        or it already had every value (200, unchanged).
        """
        task_id = self.kwargs["task_id"]
        versions = if_match_versions(request, task_id)
        task_query = self.get_queryset().filter(pk=task_id)
        written = task_query.at_versions(versions).apply_changes(changes)
        if written:
            return self.task_response(written[0])
        try:
            task = task_query.get()
        except Task.DoesNotExist:
            raise self.missing() from None
        if versions is not None and task.version not in versions:
            raise PreconditionFailed()
        return self.task_response(task)

    def destroy(self, request, *args, **kwargs):
        task_id = self.kwargs["task_id"]
        versions = if_match_versions(request, task_id)
        task_query = self.get_queryset().filter(pk=task_id)
        if task_query.at_versions(versions).delete_as_tombstones():
            return Response(status=status.HTTP_204_NO_CONTENT)
        if versions is not None and task_query.exists():
            raise PreconditionFailed()
        raise self.missing()

    @action(detail=True, methods=["patch"])
    def complete(self, request, *args, **kwargs):
        completion = TaskCompletionSerializer(data=request.data)
        completion.is_valid(raise_exception=True)
        return self.write(request, {"completed": completion.validated_data["completed"]})

    @action(detail=False, methods=["get"])
    def changes(self, request, *args, **kwargs):
        query = ChangesQuery.bind(request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        page = changes_page(request.user.pk, params.get("since"), params["limit"])
        return Response(page)
