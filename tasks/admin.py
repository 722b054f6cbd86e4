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
        """Writes as the API does, so that the version, `updated_at`, `completed_at` and the
        change number follow the same rules whoever edits: an edit is the queryset's one
        write (TaskQuerySet.apply_changes) of the fields the form changed, and an addition
        takes its completion through Task.mark_completed."""
        if change:
            changes = {name: form.cleaned_data[name] for name in form.changed_data}
            Task.objects.filter(pk=obj.pk).apply_changes(changes)
            return
        # The form already set `completed`; start from open so mark_completed stamps it.
        done, obj.completed = obj.completed, False
        obj.mark_completed(done)
        super().save_model(request, obj, form, change)

    def delete_model(self, request, obj):
        Task.objects.filter(pk=obj.pk).delete_as_tombstones()

    def delete_queryset(self, request, queryset):
        queryset.delete_as_tombstones()
