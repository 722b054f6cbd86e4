"""The task routes (list, create, retrieve, replace, update, delete, complete, and the
changes feed for sync) and the tag routes."""

from django.db import IntegrityError, transaction
from django.urls import reverse
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from taskapi.exceptions import Conflict, PreconditionFailed
from taskapi.pagination import page_payload
from tasks.filters import TagListQuery, TaskFilter, TaskListQuery
from tasks.idempotency import create_once, idempotency_key
from tasks.models import Tag, TagQuerySet, Task, TaskQuerySet, tag_key
from tasks.pagination import TaskPagination
from tasks.permissions import IsPathUser
from tasks.preconditions import if_match_versions, is_not_modified
from tasks.schema import tag_api_schema, task_api_schema
from tasks.serializers import TagSerializer, TaskCompletionSerializer, TaskSerializer
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
        self.task_filter = TaskFilter(query.validated_data, request.user.pk)
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
        return self.write(request, serializer.changes(request.user.pk))

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


@tag_api_schema
class TagViewSet(viewsets.GenericViewSet):
    # The signed-in user's tags. Every query starts from `get_queryset()`, the requesting
    # user's tags; renaming or deleting one changes the tasks carrying it (Tag). Comments,
    # not docstrings: the API's documentation would show them.

    serializer_class = TagSerializer
    permission_classes = [IsAuthenticated, IsPathUser]
    lookup_url_kwarg = "tag_id"

    def get_queryset(self) -> TagQuerySet:
        return Tag.objects.owned_by(self.request.user.pk)

    def get_object(self) -> Tag:
        try:
            return self.get_queryset().with_task_counts().get(pk=self.kwargs["tag_id"])
        except Tag.DoesNotExist:
            raise NotFound("Tag not found.") from None

    def name_taken(self, name: str) -> Conflict:
        existing = self.get_queryset().filter(name_key=tag_key(name)).first()
        return Conflict(f'You already have a tag named "{existing.name if existing else name}".')

    def list(self, request, *args, **kwargs):
        query = TagListQuery.bind(request.query_params)
        query.is_valid(raise_exception=True)
        limit, offset = query.validated_data["limit"], query.validated_data["offset"]
        tags = self.get_queryset()
        total = tags.count()
        page = tags.with_task_counts().in_tag_order()[offset : offset + limit]
        items = self.get_serializer(page if offset < total else [], many=True).data
        return Response(
            page_payload(
                items,
                limit=limit,
                offset=offset,
                total=total,
                has_more=offset + len(items) < total,
                next_cursor=None,
            )
        )

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            with transaction.atomic():
                tag = serializer.save(user_id=request.user.pk)
        except IntegrityError:
            raise self.name_taken(serializer.validated_data["name"]) from None
        tag.task_count = 0
        location = reverse("tag-detail", kwargs={"user_id": request.user.pk, "tag_id": tag.pk})
        return Response(
            self.get_serializer(tag).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": request.build_absolute_uri(location)},
        )

    def retrieve(self, request, *args, **kwargs):
        return Response(self.get_serializer(self.get_object()).data)

    def partial_update(self, request, *args, **kwargs):
        tag = self.get_object()
        serializer = self.get_serializer(tag, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        try:
            tag.apply_changes(serializer.validated_data)
        except IntegrityError:
            raise self.name_taken(serializer.validated_data["name"]) from None
        return Response(self.get_serializer(tag).data)

    def destroy(self, request, *args, **kwargs):
        self.get_object().delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
