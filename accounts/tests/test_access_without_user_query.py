"""Authentication trusts the signed token for the user's id and remembers for a short while
whether the account is active, so most requests do not query the user. A user deactivated
by another process (a different worker or instance) loses access within
AUTH_USER_CACHE_SECONDS, never more than 60 s; a change made in this process, at once."""

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.authentication import active_users
from accounts.models import User
from accounts.tests.factories import UserFactory
from conftest import bearer_client


@pytest.fixture
def clock(monkeypatch):
    """A monotonic clock the test moves by hand."""

    class Clock:
        now = 1_000.0

        def advance(self, seconds: float) -> None:
            self.now += seconds

    fake = Clock()
    monkeypatch.setattr("accounts.authentication.time.monotonic", lambda: fake.now)
    return fake


@pytest.mark.django_db
def test_a_repeated_request_does_not_query_the_user():
    user = UserFactory()
    client = bearer_client(user)
    first = client.get(f"/api/{user.pk}/tasks")

    with CaptureQueriesContext(connection) as queries:
        second = client.get(f"/api/{user.pk}/tasks")

    assert first.status_code == second.status_code == 200
    assert [query for query in queries if "accounts_user" in query["sql"]] == []


@pytest.mark.django_db
def test_a_user_deactivated_elsewhere_loses_access_within_the_cache_window(clock):
    user = UserFactory()
    client = bearer_client(user)
    assert client.get(f"/api/{user.pk}/tasks").status_code == 200

    # A queryset update sends no signal: as if another worker had made the change.
    User.objects.filter(pk=user.pk).update(is_active=False)
    clock.advance(settings.AUTH_USER_CACHE_SECONDS - 1)
    still_remembered = client.get(f"/api/{user.pk}/tasks")
    clock.advance(2)
    expired = client.get(f"/api/{user.pk}/tasks")

    assert still_remembered.status_code == 200
    assert expired.status_code == 401
    assert expired.json()["error"] == {
        "code": "UNAUTHORIZED",
        "message": "User is inactive",
        "details": {"reason": "user_inactive"},
    }


@pytest.mark.django_db
def test_a_user_deleted_elsewhere_loses_access_within_the_cache_window(clock):
    user = UserFactory()
    user_id, client = user.pk, bearer_client(user)
    tasks_url = f"/api/{user_id}/tasks"
    assert client.get(tasks_url).status_code == 200

    user.delete()
    # As another worker would, this one still remembers the user as active.
    active_users.entries[user_id] = (True, clock.now)
    remembered = client.get(tasks_url)
    clock.advance(settings.AUTH_USER_CACHE_SECONDS + 1)
    response = client.get(tasks_url)

    assert remembered.status_code == 200
    assert response.status_code == 401
    assert response.json()["error"]["details"] == {"reason": "user_not_found"}


@pytest.mark.django_db
@pytest.mark.parametrize("change", ["deactivated", "deleted"])
def test_views_that_read_the_account_refuse_it_at_once_with_the_reason(clock, change):
    """`me` and the password change load the account, so they see a change made elsewhere
    while the token check still remembers the user as active."""
    user = UserFactory()
    client = bearer_client(user)
    assert client.get("/api/auth/me").status_code == 200

    if change == "deleted":
        User.objects.filter(pk=user.pk).delete()
    else:
        User.objects.filter(pk=user.pk).update(is_active=False)
    active_users.entries[user.pk] = (True, clock.now)
    response = client.get("/api/auth/me")

    assert response.status_code == 401
    assert response.json()["error"] == {
        "code": "UNAUTHORIZED",
        "message": "User not found" if change == "deleted" else "User is inactive",
        "details": {"reason": "user_not_found" if change == "deleted" else "user_inactive"},
    }


def test_the_window_is_never_longer_than_sixty_seconds():
    assert 0 <= settings.AUTH_USER_CACHE_SECONDS <= 60


@pytest.mark.django_db
def test_a_deactivation_saved_in_this_process_takes_effect_at_once():
    user = UserFactory()
    client = bearer_client(user)
    assert client.get(f"/api/{user.pk}/tasks").status_code == 200

    user.is_active = False
    user.save()

    assert client.get(f"/api/{user.pk}/tasks").status_code == 401


def test_the_memory_of_active_users_is_bounded(db):
    memory = type(active_users)(max_entries=3)
    users = UserFactory.create_batch(5)

    for user in users:
        memory.status(user.pk)

    assert list(memory.entries) == [user.pk for user in users[2:]]
