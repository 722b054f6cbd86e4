"""The product's routes plus the floor's, under `/floor/` (used only by bench/settings.py)."""

from django.urls import include, path

from bench.floor import floor_task_detail, floor_task_list
from taskapi.urls import handler400, handler403, handler404, handler500

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]

urlpatterns = [
    path("floor/api/<str:user_id>/tasks", floor_task_list, name="floor-task-list"),
    path(
        "floor/api/<str:user_id>/tasks/<uuid:task_id>", floor_task_detail, name="floor-task-detail"
    ),
    path("", include("taskapi.urls")),
]
