"""Who may use /api/{user_id}/tasks: only the user the path names."""

from rest_framework.permissions import BasePermission


class IsPathUser(BasePermission):
    """The `{user_id}` in the path must be the signed-in user's id.

    Checked in `has_permission`, so it guards list and create as well as the single-task
    routes. Any other value, well-formed or not, is refused with 403; the id's hex digits
    may come in either case.
    """

    message = "The user id in the path is not yours."

    def has_permission(self, request, view) -> bool:
        path_user_id = str(view.kwargs.get("user_id", "")).lower()
        return request.user is not None and path_user_id == str(request.user.pk)
