"""Input and output shapes of the auth endpoints, and the token rules they enforce."""

from django.contrib.auth import authenticate, password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models, transaction
from rest_framework import serializers
from rest_framework_simplejwt.exceptions import ExpiredTokenError, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken, UntypedToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from accounts.authentication import active_user, read_token, refusal, user_id_of
from accounts.models import User, normalize_email
from taskapi.exceptions import Conflict, Unauthorized, UnauthorizedReason
from taskapi.fields import StrictCharField, StrictEmailField, StrictURLField
from taskapi.serializers import RefusesUnknownFields

INVALID_CREDENTIALS = "Invalid email or password."


class UserSerializer(RefusesUnknownFields, serializers.ModelSerializer):
    # Strings must arrive as JSON strings: DRF's own fields would store `{"name": 0}` as "0".
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.EmailField: StrictEmailField,
        models.URLField: StrictURLField,
    }

    class Meta:
        model = User
        fields = ["id", "email", "name", "image", "email_verified", "created_at", "updated_at"]
        read_only_fields = ["id", "email", "email_verified", "created_at", "updated_at"]

    def update(self, user: User, validated_data: dict) -> User:
        """Writes only the fields whose value changes, and nothing when none does, so that
        `updated_at` moves only on a real change (as a task's does)."""
        changed = [name for name, value in validated_data.items() if getattr(user, name) != value]
        for name in changed:
            setattr(user, name, validated_data[name])
        if changed:
            user.save(update_fields=[*changed, "updated_at"])
        return user


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField(read_only=True)
    refresh = serializers.CharField(read_only=True)

    @staticmethod
    def for_user(user: User) -> dict[str, str]:
        refresh = RefreshToken.for_user(user)
        return {"access": str(refresh.access_token), "refresh": str(refresh)}


class RegistrationSerializer(RefusesUnknownFields, serializers.Serializer):
    email = StrictEmailField(max_length=254)
    password = StrictCharField(write_only=True, max_length=128, trim_whitespace=False)
    name = StrictCharField(max_length=150)

    def validate_email(self, value: str) -> str:
        email = normalize_email(value)
        if User.objects.filter(email=email).exists():
            raise Conflict("An account with this email already exists.")
        return email

    def validate(self, attrs):
        candidate = User(email=attrs["email"], name=attrs["name"])
        try:
            password_validation.validate_password(attrs["password"], user=candidate)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"password": list(exc.messages)}) from None
        return attrs

    def create(self, validated_data) -> User:
        try:
            # The savepoint keeps a lost race for the same email from breaking an outer
            # transaction; the unique index is what actually decides the race.
            with transaction.atomic():
                return User.objects.create_user(**validated_data)
        except IntegrityError:
            raise Conflict("An account with this email already exists.") from None


class RegistrationResponseSerializer(TokenPairSerializer):
    user = UserSerializer(read_only=True)


class TokenObtainSerializer(RefusesUnknownFields, serializers.Serializer):
    email = StrictCharField(write_only=True, max_length=254)
    password = StrictCharField(write_only=True, max_length=128, trim_whitespace=False)

    def validate(self, attrs):
        # ModelBackend hashes the password even for an unknown email, so the answer takes
        # as long whether or not the account exists; inactive users fail the same way.
        user = authenticate(
            self.context.get("request"), email=attrs["email"], password=attrs["password"]
        )
        if user is None:
            raise Unauthorized(UnauthorizedReason.CREDENTIALS_INVALID, INVALID_CREDENTIALS)
        return TokenPairSerializer.for_user(user)


def verified_refresh_token(raw: str) -> RefreshToken:
    """A refresh token whose signature, expiry, type and blacklist status all check out."""
    try:
        return read_token(RefreshToken, raw)
    except TokenError as exc:
        if not isinstance(exc, ExpiredTokenError) and is_blacklisted(raw):
            raise Unauthorized(UnauthorizedReason.TOKEN_BLACKLISTED, str(exc)) from None
        raise refusal(exc) from None


def is_blacklisted(raw: str) -> bool:
    """Whether a refresh token SimpleJWT refused is one this service signed and revoked.

    SimpleJWT refuses a blacklisted token with a plain TokenError, whose message is the only
    difference, so the blacklist is asked instead; only for a token whose signature and
    expiry hold (UntypedToken checks those, not the type nor the blacklist), and only on
    this path of a refusal.
    """
    try:
        jti = read_token(UntypedToken, raw)[api_settings.JTI_CLAIM]
    except TokenError:
        return False
    return BlacklistedToken.objects.filter(token__jti=jti).exists()


def blacklist_once(token: RefreshToken) -> None:
    """Blacklists a refresh token, or refuses it (401) if another request got there first.

    SimpleJWT checks the blacklist and then writes it with nothing in between, so concurrent
    refreshes of one token could all succeed. Here the insert itself decides: the blacklist's
    one-to-one column is unique, so exactly one inserter wins and the rest get IntegrityError.
    """
    # Tokens this service issued are already outstanding; the defaults only describe one
    # it did not record, which needs no owner because it is blacklisted on the spot.
    outstanding, _ = OutstandingToken.objects.get_or_create(
        jti=token["jti"],
        defaults={
            "user": None,
            "token": str(token),
            "created_at": token.current_time,
            "expires_at": datetime_from_epoch(token["exp"]),
        },
    )
    try:
        with transaction.atomic():
            BlacklistedToken.objects.create(token=outstanding)
    except IntegrityError:
        raise Unauthorized(UnauthorizedReason.TOKEN_BLACKLISTED, "Token is blacklisted") from None


class RefreshTokenSerializer(RefusesUnknownFields, serializers.Serializer):
    refresh = StrictCharField(write_only=True)


class TokenRefreshSerializer(RefreshTokenSerializer):
    """Rotates a refresh token: the old one is blacklisted, a new pair is issued."""

    def validate(self, attrs):
        token = verified_refresh_token(attrs["refresh"])
        user = active_user(user_id_of(token))
        blacklist_once(token)
        return TokenPairSerializer.for_user(user)


class LogoutSerializer(RefreshTokenSerializer):
    def validate(self, attrs):
        blacklist_once(verified_refresh_token(attrs["refresh"]))
        return attrs


class CurrentPasswordField(StrictCharField):
    """The signed-in user's password (the serializer's `context["user"]`), checked: what a
    change that only the account's owner may make asks for first."""

    default_error_messages = {"incorrect": "The current password is incorrect."}

    def __init__(self, **kwargs):
        super().__init__(write_only=True, max_length=128, trim_whitespace=False, **kwargs)

    def to_internal_value(self, data) -> str:
        value = super().to_internal_value(data)
        if not self.context["user"].check_password(value):
            self.fail("incorrect")
        return value


class PasswordChangeSerializer(RefusesUnknownFields, serializers.Serializer):
    old_password = CurrentPasswordField()
    new_password = StrictCharField(write_only=True, max_length=128, trim_whitespace=False)

    def validate_new_password(self, value: str) -> str:
        try:
            password_validation.validate_password(value, user=self.context["user"])
        except DjangoValidationError as exc:
            raise serializers.ValidationError(list(exc.messages)) from None
        return value

    def save(self) -> User:
        user = self.context["user"]
        with transaction.atomic():
            user.set_password(self.validated_data["new_password"])
            user.save(update_fields=["password", "updated_at"])
            revoke_refresh_tokens(user)
        return user


def revoke_refresh_tokens(user: User) -> None:
    """Blacklists every refresh token issued to the user that is not blacklisted yet."""
    live = OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True)
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in live], ignore_conflicts=True
    )


class AccountDeletionSerializer(RefusesUnknownFields, serializers.Serializer):
    """Deletes the signed-in user, once their password checks out. Everything of theirs goes
    in one transaction: tasks and tombstones, the task ledger, idempotency records (all by
    cascade) and refresh tokens (see accounts.models.delete_refresh_tokens)."""

    password = CurrentPasswordField()

    def save(self) -> None:
        self.context["user"].delete()
