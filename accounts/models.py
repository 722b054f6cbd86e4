"""The user: signs in with an email address, identified everywhere by a UUID."""

import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.db.models.signals import pre_delete
from django.dispatch import receiver
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken


def normalize_email(email: str) -> str:
    """The stored form of an email: trimmed and lower-cased as a whole.

    Mail providers treat the local part case-insensitively in practice, and users type
    their address in whatever case; one stored form makes uniqueness and login exact.
    """
    return (email or "").strip().lower()


class EmailAddressField(models.EmailField):
    """An email field that cleans a value to its stored form (normalize_email) before it
    validates it, so every path that cleans the field, `createsuperuser` included, accepts
    what the API accepts: surrounding spaces and any letter case."""

    def to_python(self, value):
        value = super().to_python(value)
        return normalize_email(value) if isinstance(value, str) else value


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, email):
        return self.get(email=normalize_email(email))

    def create_user(self, email: str, password: str | None = None, **extra_fields) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra_fields) -> "User":
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        if not extra_fields["is_staff"] or not extra_fields["is_superuser"]:
            raise ValueError("A superuser must have is_staff and is_superuser set.")
        return self.create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = EmailAddressField("email address", max_length=254, unique=True)
    name = models.CharField(max_length=150)
    image = models.URLField(max_length=2048, blank=True, null=True)
    email_verified = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(
        default=False, help_text="Designates whether the user can log into the admin site."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        ordering = ["email"]
        constraints = [
            # Emails are stored lower-cased; this keeps a row written around the model
            # (a raw insert, a bulk load) from sneaking in a case variant.
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self):
        super().clean()
        self.email = normalize_email(self.email)

    def save(self, *args, **kwargs):
        self.email = normalize_email(self.email)
        super().save(*args, **kwargs)


@receiver(pre_delete, sender=User)
def delete_refresh_tokens(sender, instance: User, **kwargs) -> None:
    """A deleted user's refresh tokens go with them, however the user is deleted (the API,
    the admin, a bulk delete). SimpleJWT's token records only lose their owner (SET_NULL)
    otherwise, and would stay on record, unowned, until they expire."""
    OutstandingToken.objects.filter(user=instance).delete()
