"""Admin for users: email login, search, filters and Django's password change form."""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.contrib.auth.forms import UserCreationForm as DjangoUserCreationForm
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
