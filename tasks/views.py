"""The task routes: list, create, retrieve, replace, update, delete and complete."""

from django.db import transaction
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_serializer,
    extend_schema_view,
)
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from taskapi.pagination import PaginationSerializer, page_payload
from tasks.filters import TaskCursor, TaskFilter, TaskListQuery
from tasks.models import Task
from tasks.permissions import IsPathUser
from tasks.serializers import TaskCompletionSerializer, TaskSerializer


# One page object, not a list: without many=False the schema generator would document the
# list action's answer as an array of pages.
@extend_schema_serializer(many=False)
class TaskPageSerializer(serializers.Serializer):
    items = TaskSerializer(many=True)
    pagination = PaginationSerializer()


# Spelled out because drf-spectacular documents every PATCH body as partial, which would
# make `completed` optional here; the route requires it.
COMPLETION_REQUEST_SCHEMA = {
    "type": "object",
    "required": ["completed"],
    "properties": {"completed": {"type": "boolean"}},
}
PATH_PARAMETERS = [
    OpenApiParameter("user_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="Your id."),
]
TASK_PATH_PARAMETERS = [
    *PATH_PARAMETERS,
    OpenApiParameter("task_id", OpenApiTypes.UUID, OpenApiParameter.PATH),
]


@extend_schema_view(
    list=extend_schema(
        operation_id="tasks_list",
        summary="List your tasks",
        parameters=[*PATH_PARAMETERS, TaskListQuery],
        responses={200: TaskPageSerializer},
    ),
    create=extend_schema(
        operation_id="tasks_create",
        summary="Create a task",
        parameters=PATH_PARAMETERS,
        responses={201: TaskSerializer},
    ),
    retrieve=extend_schema(
        operation_id="tasks_retrieve", summary="Get a task", parameters=TASK_PATH_PARAMETERS
    ),
    update=extend_schema(
        operation_id="tasks_replace",
        summary="Replace a task (omitted optional fields are reset)",
        parameters=TASK_PATH_PARAMETERS,
    ),
    partial_update=extend_schema(
        operation_id="tasks_update",
        summary="Change some fields of a task",
        parameters=TASK_PATH_PARAMETERS,
    ),
    destroy=extend_schema(
        operation_id="tasks_delete", summary="Delete a task", parameters=TASK_PATH_PARAMETERS
    ),
    complete=extend_schema(
        operation_id="tasks_complete",
        summary="Mark a task completed or pending",
        parameters=TASK_PATH_PARAMETERS,
        request={"application/json": COMPLETION_REQUEST_SCHEMA},
        responses={200: TaskSerializer},
    ),
)
@extend_schema(tags=["tasks"])
class TaskViewSet(viewsets.ModelViewSet):
    """The signed-in user's tasks. Every query starts from `get_queryset()`, which is
    filtered by the requesting user, so no route can reach another user's task."""

    serializer_class = TaskSerializer
    permission_classes = [IsAuthenticated, IsPathUser]
    lookup_url_kwarg = "task_id"

    def get_queryset(self):
        return Task.objects.filter(user_id=self.request.user.pk)

    def get_locked_object(self) -> Task:
        """The task, row-locked until the surrounding transaction ends (PostgreSQL), so a
        read-modify-write never works from a stale copy."""
        try:
            return self.get_queryset().select_for_update().get(pk=self.kwargs["task_id"])
        except Task.DoesNotExist:
            raise NotFound("Task not found.") from None

    def get_object(self) -> Task:
        try:
            return self.get_queryset().get(pk=self.kwargs["task_id"])
        except Task.DoesNotExist:
            raise NotFound("Task not found.") from None

    def list(self, request, *args, **kwargs):
        query = TaskListQuery.bind(request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        task_filter = TaskFilter(params)
        matching = task_filter.filter(self.get_queryset())
        total = task_filter.count(matching, request.user.pk)
        # Rows straight from the database in the response's shape (see to_representation).
        rows = task_filter.order(matching).values(*TaskSerializer.Meta.fields)
        limit, cursor = params["limit"], params.get("cursor")
        if cursor is not None:
            page = list(task_filter.seek(rows, cursor)[: limit + 1])
            items, has_more, offset = page[:limit], len(page) > limit, None
        else:
            offset = params["offset"]
            items = list(rows[offset : offset + limit]) if offset < total else []
            has_more = offset + len(items) < total
        next_cursor = TaskCursor.after(params["sort"], items[-1]) if has_more else None
        payload = page_payload(
            items,
            limit=limit,
            offset=offset,
            total=total,
            has_more=has_more,
            next_cursor=next_cursor,
        )
        return Response(payload)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        task = serializer.save(user_id=request.user.pk)
        location = reverse("task-detail", kwargs={"user_id": request.user.pk, "task_id": task.pk})
        return Response(
            serializer.data,
            status=status.HTTP_201_CREATED,
            headers={"Location": request.build_absolute_uri(location)},
        )

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        with transaction.atomic():
            task = self.get_locked_object()
            serializer = self.get_serializer(task, data=request.data, partial=partial)
            serializer.is_valid(raise_exception=True)
            serializer.save()
        return Response(serializer.data)

    def destroy(self, request, *args, **kwargs):
        deleted, _ = self.get_queryset().filter(pk=self.kwargs["task_id"]).delete()
        if not deleted:
            raise NotFound("Task not found.")
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["patch"])
    def complete(self, request, *args, **kwargs):
        completion = TaskCompletionSerializer(data=request.data)
        completion.is_valid(raise_exception=True)
        with transaction.atomic():
            task = self.get_locked_object()
            done = completion.validated_data["completed"]
            if done != task.completed:
                task.mark_completed(done)
                task.save(update_fields=["completed", "completed_at", "updated_at"])
        return Response(self.get_serializer(task).data)
