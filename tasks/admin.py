"""Admin for tasks: browse, filter and search every user's tasks without N+1 queries."""

from django.contrib import admin

from tasks.models import Task


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ("title", "user", "completed", "due_date", "created_at")
    list_filter = ("completed", "due_date", "created_at")
    list_select_related = ("user",)
    search_fields = ("title", "user__email")
    date_hierarchy = "created_at"
    autocomplete_fields = ("user",)
    readonly_fields = ("id", "completed_at", "created_at", "updated_at")
    fields = (
        "id",
        "user",
        "title",
        "description",
        "due_date",
        "completed",
        "completed_at",
        "created_at",
        "updated_at",
    )
    ordering = ("-created_at", "-id")
    # Counting every task on each page view is slow on big tables; the paginator shows
    # "more" instead of an exact total when the changelist is unfiltered.
    show_full_result_count = False

    def get_queryset(self, request):
        # Tombstones are deleted tasks kept for sync clients, not something to edit.
        return super().get_queryset(request).live()

    def save_model(self, request, obj, form, change):
        if "completed" in form.changed_data:
            # The form already set `completed`; restore it so mark_completed sees the change.
            done = obj.completed
            obj.completed = form.initial.get("completed", False)
            obj.mark_completed(done)
        if change and form.changed_data:
            obj.version += 1
        super().save_model(request, obj, form, change)

    def delete_model(self, request, obj):
        Task.objects.filter(pk=obj.pk).delete_as_tombstones()

    def delete_queryset(self, request, queryset):
        queryset.delete_as_tombstones()
