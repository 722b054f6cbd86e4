"""Admin for tasks and tags: browse, filter and search every user's, without N+1 queries."""

from django import forms
from django.contrib import admin
from django.db.models import Count

from tasks.models import Tag, Task, TaskTag, tag_key

# The tag filter offers the most carried tag names; more would make the sidebar unreadable.
TAG_FILTER_CHOICES = 30


class TagFilter(admin.SimpleListFilter):
    """Tasks carrying a tag, by name whatever the case and whoever's tag it is."""

    title = "tag"
    parameter_name = "tag"

    def lookups(self, request, model_admin):
        most_carried = (
            TaskTag.objects.values("tag__name_key")
            .annotate(carried=Count("id"))
            .order_by("-carried", "tag__name_key")[:TAG_FILTER_CHOICES]
        )
        return [(row["tag__name_key"], row["tag__name_key"]) for row in most_carried]

    def queryset(self, request, queryset):
        if self.value():
            # A task carries at most one tag of a key (its owner's), so the join repeats none.
            return queryset.filter(tag_links__tag__name_key=tag_key(self.value()))
        return queryset


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ("title", "user", "completed", "priority", "tag_names", "due_date", "created_at")
    list_filter = ("completed", "priority", TagFilter, "due_date", "created_at")
    list_select_related = ("user",)
    search_fields = ("title", "user__email")
    date_hierarchy = "created_at"
    autocomplete_fields = ("user",)
    # Tags are edited through the API or the tag admin: a task's names and links, and the
    # owner's tags, move together there.
    readonly_fields = ("id", "tag_names", "completed_at", "created_at", "updated_at")
    fields = (
        "id",
        "user",
        "title",
        "description",
        "due_date",
        "completed",
        "priority",
        "tag_names",
        "completed_at",
        "created_at",
        "updated_at",
    )
    ordering = ("-created_at", "-id")
    # Counting every task on each page view is slow on big tables; the paginator shows
    # "more" instead of an exact total when the changelist is unfiltered.
    show_full_result_count = False

    @admin.display(description="tags")
    def tag_names(self, task: Task) -> str:
        return ", ".join(task.tags)

    def get_readonly_fields(self, request, obj=None):
        # A task's tags are its owner's: moving it to another user would leave them behind.
        if obj is not None:
            return ("user", *self.readonly_fields)
        return self.readonly_fields

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


class TagAdminForm(forms.ModelForm):
    class Meta:
        model = Tag
        fields = ("user", "name", "color")

    def clean(self):
        cleaned = super().clean()
        user = cleaned.get("user") or getattr(self.instance, "user", None)
        name = cleaned.get("name")
        if user is not None and name:
            taken = Tag.objects.owned_by(user.pk).filter(name_key=tag_key(name))
            if taken.exclude(pk=self.instance.pk).exists():
                self.add_error("name", "This user already has a tag of this name, in some case.")
        return cleaned


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    """Renaming or deleting a tag here changes the tasks carrying it, as the API does."""

    form = TagAdminForm
    list_display = ("name", "user", "color", "task_count", "created_at")
    list_select_related = ("user",)
    search_fields = ("name", "user__email")
    autocomplete_fields = ("user",)
    readonly_fields = ("id", "created_at")
    ordering = ("user__email", "name_key")
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).with_task_counts()

    def get_readonly_fields(self, request, obj=None):
        return ("user", *self.readonly_fields) if obj is not None else self.readonly_fields

    @admin.display(description="tasks", ordering="task_count")
    def task_count(self, tag: Tag) -> int:
        return tag.task_count

    def save_model(self, request, obj, form, change):
        if change:
            changes = {name: form.cleaned_data[name] for name in form.changed_data}
            Tag.objects.get(pk=obj.pk).apply_changes(changes)
            return
        super().save_model(request, obj, form, change)

    def delete_queryset(self, request, queryset):
        for tag in queryset:
            tag.delete()
