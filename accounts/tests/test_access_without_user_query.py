"""Authentication trusts the signed token for the user's id and remembers for a short while
whether the account is active, so most requests do not query the user. A user saved or
deleted by another process (a different worker or instance) loses access at once: the
account's generation in the shared cache moves, and the remembered answer is read again.
A change that sends no signal (a queryset update, raw SQL), or one made while the shared
cache is down, takes effect within AUTH_USER_CACHE_SECONDS, never more than 60 s.

That a change reaches every running instance at once, taskapi/tests/test_many_instances.py
shows with real servers."""

import subprocess
import sys

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.authentication import account_generation, active_users, generation_key
from accounts.models import User
from accounts.tests.factories import UserFactory
from conftest import bearer_client
from taskapi.tests.servers import current_database_url, server_environment


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


def remember_as_active_missing_the_bump(user_id, clock) -> None:
    """This process remembers the user as active at the current generation: a worker that
    read the account while the shared cache was down when the change bumped it."""
    active_users.entries[user_id] = (True, clock.now, account_generation(user_id))


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
    remember_as_active_missing_the_bump(user_id, clock)
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
    remember_as_active_missing_the_bump(user.pk, clock)
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


def change_as_another_instance_would(user) -> None:
    """What another instance's save of the user leaves behind here: the row changed, the
    shared generation bumped, and this process's memory untouched."""
    cache.add(generation_key(user.pk), 0, timeout=None)
    cache.incr(generation_key(user.pk))


@pytest.mark.django_db
def test_a_user_deactivated_through_another_instance_loses_access_at_once():
    user = UserFactory()
    client = bearer_client(user)
    assert client.get(f"/api/{user.pk}/tasks").status_code == 200

    User.objects.filter(pk=user.pk).update(is_active=False)
    change_as_another_instance_would(user)
    response = client.get(f"/api/{user.pk}/tasks")

    assert response.status_code == 401
    assert response.json()["error"]["details"] == {"reason": "user_inactive"}


@pytest.mark.django_db
def test_a_user_deleted_through_another_instance_loses_access_at_once():
    user = UserFactory()
    client = bearer_client(user)
    assert client.get(f"/api/{user.pk}/tasks").status_code == 200

    User.objects.filter(pk=user.pk).delete()
    change_as_another_instance_would(user)
    response = client.get(f"/api/{user.pk}/tasks")

    assert response.status_code == 401
    assert response.json()["error"]["details"] == {"reason": "user_not_found"}


@pytest.mark.django_db
def test_an_unchanged_generation_costs_no_user_query():
    user = UserFactory()
    client = bearer_client(user)
    client.get(f"/api/{user.pk}/tasks")
    cache.incr(generation_key(user.pk))  # a change, read once
    client.get(f"/api/{user.pk}/tasks")

    with CaptureQueriesContext(connection) as queries:
        client.get(f"/api/{user.pk}/tasks")

    assert [query for query in queries if "accounts_user" in query["sql"]] == []


@pytest.mark.django_db
def test_when_the_shared_cache_fails_the_remembered_answer_stands(monkeypatch, caplog):
    user = UserFactory()
    client = bearer_client(user)
    client.get(f"/api/{user.pk}/tasks")

    def unreachable(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "get", unreachable)
    response = client.get(f"/api/{user.pk}/tasks")

    assert response.status_code == 200
    assert "account generations unavailable" in caplog.text


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_a_user_deactivated_by_a_management_command_moves_the_generation_instances_read():
    """A process that never authenticated a request (here `manage.py shell`) still tells the
    instances: the receivers are connected when Django starts, not when DRF first needs
    authentication."""
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL: the account generations live in the shared cache")
    user = UserFactory()
    before = account_generation(user.pk)
    deactivate = (
        "from accounts.models import User; "
        f"user = User.objects.get(pk='{user.pk}'); user.is_active = False; user.save()"
    )

    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", deactivate],
        cwd=settings.BASE_DIR,
        env=server_environment(current_database_url()),
        check=True,
        capture_output=True,
        timeout=60,
    )

    assert account_generation(user.pk) == before + 1
