"""Admin for users: email login, search, filters and Django's password change form."""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.contrib.auth.forms import UserCreationForm as DjangoUserCreationForm
from django.db import models
from django.urls import reverse
from django.utils.html import format_html

from accounts.models import User, normalize_email


class UserCreationForm(DjangoUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "name")

    def clean_email(self) -> str:
        email = normalize_email(self.cleaned_data["email"])
        if User.objects.filter(email=email).exists():
            raise forms.ValidationError("A user with this email already exists.")
        return email


class UserChangeForm(DjangoUserChangeForm):
    # Declared to pin the scheme a bare "host/path" gets (Django 6 changes the default);
    # empty_value keeps a cleared image NULL as the model's null=True intends.
    image = forms.URLField(max_length=2048, required=False, empty_value=None, assume_scheme="https")

    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    list_display = ("email", "name", "is_active", "is_staff", "email_verified", "created_at")
    list_filter = ("is_active", "is_staff", "is_superuser", "email_verified", "created_at")
    search_fields = ("email", "name")
    ordering = ("email",)
    readonly_fields = ("id", "tasks_link", "created_at", "updated_at", "last_login")
    fieldsets = (
        (None, {"fields": ("id", "email", "password", "tasks_link")}),
        ("Profile", {"fields": ("name", "image", "email_verified")}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("last_login", "created_at", "updated_at")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "name", "password1", "password2"),
            },
        ),
    )

    @admin.display(description="Tasks")
    def tasks_link(self, user: User) -> str:
        # A link, not an inline: a user may own thousands of tasks.
        url = reverse("admin:tasks_task_changelist") + f"?user={user.pk}"
        return format_html('<a href="{}">View this user\'s tasks</a>', url)

    def get_deleted_objects(self, objs, request):
        """What deleting these users takes, counted per kind of row instead of listed.

        Django's own confirmation page loads and lists every row the deletion takes, one
        line each: for a user with 100,000 tasks, 100,000 links. Here each kind of row that
        points at the users is counted with one query. Rows that would block the deletion
        (PROTECT, RESTRICT) are listed as Django lists them, so the page refuses the same way.
        """
        users = list(objs)
        summary: dict[str, int] = {User._meta.verbose_name_plural: len(users)}
        perms_needed, protected = set(), []
        for relation in User._meta.related_objects:
            if relation.many_to_many:
                continue
            related = relation.related_model._base_manager.filter(
                **{f"{relation.field.name}__in": users}
            )
            if relation.on_delete in (models.PROTECT, models.RESTRICT):
                protected += [str(row) for row in related]
                continue
            if relation.on_delete is not models.CASCADE:
                continue
            count = related.count()
            if not count:
                continue
            model = relation.related_model
            summary[model._meta.verbose_name_plural] = (
                summary.get(model._meta.verbose_name_plural, 0) + count
            )
            if self.admin_site.is_registered(model) and not self.admin_site.get_model_admin(
                model
            ).has_delete_permission(request):
                perms_needed.add(model._meta.verbose_name)
        taken = [f"{count} {name}" for name, count in list(summary.items())[1:]]
        if len(users) == 1:
            to_delete = [f"User: {users[0]}", taken]
        else:
            to_delete = [f"User: {user}" for user in users]
            to_delete += [[f"and with them: {', '.join(taken)}"]] if taken else []
        return to_delete, summary, perms_needed, protected
