"""JWT authentication without a user query on every request.

SimpleJWT's JWTAuthentication loads the whole user row on every request (1.5 to 2 ms, a third
of a list request). The task API needs only the user's id, which the signed token already
carries, and the answer to one question: is the account still active? Each worker process
keeps that answer for up to `AUTH_USER_CACHE_SECONDS` (30 by default), and asks the shared
cache (Redis, one GET) on every request whether the account changed since: saving or
deleting a user bumps the user's *account generation* there (see `account_changed`), so a
user deactivated or deleted through any instance loses access on every instance at once.
Where the cache cannot answer, the per-process answer stands for its few seconds, as
before. Views that need the full user (`me`, password change) load it themselves with
`load_user`.
"""

import logging
import threading
import time
import uuid
from collections import OrderedDict

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import ExpiredTokenError, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token

from accounts.models import User
from taskapi.exceptions import Unauthorized, UnauthorizedReason

UNRECOGNIZED_USER = "Token contained no recognizable user identification"
logger = logging.getLogger(__name__)


class TokenUser:
    """The signed-in user as the access token describes it: an id, and signed in."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, user_id: uuid.UUID):
        self.pk = self.id = user_id

    def __str__(self) -> str:
        return str(self.pk)


def generation_key(user_id) -> str:
    return f"account-generation:{user_id}"


def account_generation(user_id) -> int | None:
    """How many times the account has changed, as the shared cache counts; None when the
    cache cannot answer (the caller then trusts its own memory for its few seconds)."""
    try:
        return cache.get(generation_key(user_id), 0)
    except Exception:
        logger.warning("account generations unavailable; trusting cached answers", exc_info=True)
        return None


class ActiveUserCache:
    """Per-process memory of which user ids belong to active accounts, for a few seconds,
    and the account generation each answer was read at: an answer read before the account
    last changed, on any instance, is read again.

    Bounded (least recently checked entries go first), so a flood of distinct users cannot
    grow a worker's memory.
    """

    def __init__(self, max_entries: int = 10_000):
        self.max_entries = max_entries
        self.entries: OrderedDict[uuid.UUID, tuple[bool | None, float, int | None]] = OrderedDict()
        self.lock = threading.Lock()

    def status(self, user_id: uuid.UUID) -> bool | None:
        """True if active, False if deactivated, None if there is no such user."""
        now = time.monotonic()
        generation = account_generation(user_id)
        with self.lock:
            entry = self.entries.get(user_id)
        if (
            entry is not None
            and now - entry[1] < settings.AUTH_USER_CACHE_SECONDS
            and (generation is None or generation == entry[2])
        ):
            return entry[0]
        active = User.objects.filter(pk=user_id).values_list("is_active", flat=True).first()
        with self.lock:
            self.entries[user_id] = (active, now, generation)
            self.entries.move_to_end(user_id)
            while len(self.entries) > self.max_entries:
                self.entries.popitem(last=False)
        return active

    def forget(self, user_id) -> None:
        with self.lock:
            self.entries.pop(user_id, None)


active_users = ActiveUserCache()


@receiver(post_save, sender=User)
@receiver(post_delete, sender=User)
def account_changed(sender, instance: User, **kwargs) -> None:
    """Every instance reads the account again on its next request: this one at once, the
    others when they see the bumped generation. A bulk `update()` of users sends no signal;
    it takes effect within AUTH_USER_CACHE_SECONDS."""
    active_users.forget(instance.pk)
    key = generation_key(instance.pk)
    try:
        # add() then incr(): a counter that never existed starts at 1, not an error. No
        # expiry: the key must outlive every cached answer, and costs a few bytes per user.
        cache.add(key, 0, timeout=None)
        cache.incr(key)
    except Exception:
        logger.warning("could not bump an account generation", exc_info=True)


# What SimpleJWT raises, instead of a TokenError, for a correctly signed token whose `exp`
# it cannot turn into a datetime: past year 9999 (ValueError), beyond the platform's time_t
# (OverflowError), or a string (TypeError).
UNREADABLE_CLAIM_ERRORS = (ValueError, TypeError, OverflowError)


def read_token(token_class: type[Token], raw) -> Token:
    """`token_class(raw)`, with a claim SimpleJWT cannot read refused like any other invalid
    token (TokenError), never a server error."""
    try:
        return token_class(raw)
    except UNREADABLE_CLAIM_ERRORS:
        raise TokenError("Token is invalid") from None


def refusal(error: TokenError) -> Unauthorized:
    """The 401 for a token SimpleJWT refused: `token_expired` when its time is up and nothing
    else is wrong with it, `token_invalid` otherwise.

    SimpleJWT raises ExpiredTokenError (public since 5.5, the floor pyproject.toml sets) for
    an expired `exp` only, and checks the signature first, so a forged token never passes
    for an expired one.
    """
    if isinstance(error, ExpiredTokenError):
        return Unauthorized(UnauthorizedReason.TOKEN_EXPIRED, str(error))
    return Unauthorized(UnauthorizedReason.TOKEN_INVALID, str(error))


def user_id_of(token: Token) -> uuid.UUID | None:
    """The user id a verified token names; a claim that is missing or cannot be an id is a
    `token_invalid` refusal. None (a `null` claim) names no user."""
    claim = settings.SIMPLE_JWT["USER_ID_CLAIM"]
    if claim not in token:
        raise Unauthorized(UnauthorizedReason.TOKEN_INVALID, UNRECOGNIZED_USER)
    try:
        return User._meta.pk.to_python(token[claim])
    except ValidationError:
        raise Unauthorized(UnauthorizedReason.TOKEN_INVALID, UNRECOGNIZED_USER) from None


def require_active(active: bool | None) -> None:
    """The rule every token's account must pass, given whether it is active (None: there is
    no such account): a 401 that says which way it failed."""
    if active is None:
        raise Unauthorized(UnauthorizedReason.USER_NOT_FOUND, "User not found")
    if not active:
        raise Unauthorized(UnauthorizedReason.USER_INACTIVE, "User is inactive")


class AccessTokenAuthentication(JWTAuthentication):
    """SimpleJWT's bearer-token authentication, answering a TokenUser instead of a User row."""

    # Why a request it guards can be refused (the API's documentation lists them): no
    # token (DRF's NotAuthenticated), or what this class and `load_user` raise.
    unauthorized_reasons = (
        UnauthorizedReason.TOKEN_MISSING,
        UnauthorizedReason.TOKEN_EXPIRED,
        UnauthorizedReason.TOKEN_INVALID,
        UnauthorizedReason.USER_INACTIVE,
        UnauthorizedReason.USER_NOT_FOUND,
    )

    def get_validated_token(self, raw_token):
        # SimpleJWT's own loop keeps only the messages of what it refused; this one keeps the
        # refusal, so the 401 can say whether the token merely expired.
        error = TokenError("Token is invalid")
        for token_class in api_settings.AUTH_TOKEN_CLASSES:
            try:
                return read_token(token_class, raw_token)
            except TokenError as refused:
                error = refused
        raise refusal(error)

    def get_raw_token(self, header: bytes) -> bytes | None:
        # The scheme name is case-insensitive (RFC 9110 section 11.1): `bearer` is `Bearer`.
        scheme, _, rest = header.partition(b" ")
        if scheme.lower() == b"bearer":
            header = b"Bearer " + rest
        return super().get_raw_token(header)

    def get_user(self, validated_token):
        user_id = user_id_of(validated_token)
        require_active(active_users.status(user_id) if user_id is not None else None)
        return TokenUser(user_id)


def active_user(user_id) -> User:
    """The row of the active account `user_id` names; require_active's 401 otherwise."""
    user = User.objects.filter(pk=user_id).first()
    require_active(user.is_active if user is not None else None)
    return user


def load_user(request) -> User:
    """The signed-in user's full row, for the few views that need more than the id."""
    return active_user(request.user.pk)


class AccessTokenScheme(SimpleJWTScheme):
    """Documents AccessTokenAuthentication in OpenAPI as the bearer JWT scheme it is."""

    target_class = AccessTokenAuthentication
