"""Task routes under /api/{user_id}/tasks."""

urlpatterns: list = []
