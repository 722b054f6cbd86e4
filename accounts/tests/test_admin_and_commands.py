"""The user admin and `createsuperuser`: how an operator gets in and manages accounts."""

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD, SuperuserFactory, UserFactory

CHANGELIST = "/admin/accounts/user/"


@pytest.fixture
def admin_client(db) -> Client:
    client = Client()
    client.force_login(SuperuserFactory(email="root@example.com", name="Root"))
    return client


def test_createsuperuser_reads_email_name_and_password_from_the_environment(db, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "Admin@Example.com")
    monkeypatch.setenv("DJANGO_SUPERUSER_NAME", "Site Admin")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", DEFAULT_PASSWORD)

    call_command("createsuperuser", "--noinput", verbosity=0)

    admin = User.objects.get()
    assert (admin.email, admin.name) == ("admin@example.com", "Site Admin")
    assert admin.is_superuser and admin.is_staff and admin.is_active
    assert admin.check_password(DEFAULT_PASSWORD)


def test_createsuperuser_takes_an_email_the_api_would_take(db, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "  Admin@Example.COM ")
    monkeypatch.setenv("DJANGO_SUPERUSER_NAME", "Site Admin")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", DEFAULT_PASSWORD)

    call_command("createsuperuser", "--noinput", verbosity=0)

    assert User.objects.get().email == "admin@example.com"


def test_createsuperuser_refuses_an_email_taken_in_another_form(db, monkeypatch):
    UserFactory(email="admin@example.com")
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", " ADMIN@example.com")
    monkeypatch.setenv("DJANGO_SUPERUSER_NAME", "Site Admin")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", DEFAULT_PASSWORD)

    with pytest.raises(CommandError, match="already taken"):
        call_command("createsuperuser", "--noinput", verbosity=0)

    assert User.objects.count() == 1


def test_createsuperuser_without_a_name_refuses_to_run(db, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "admin@example.com")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", DEFAULT_PASSWORD)
    monkeypatch.delenv("DJANGO_SUPERUSER_NAME", raising=False)

    with pytest.raises(CommandError, match="name"):
        call_command("createsuperuser", "--noinput", verbosity=0)

    assert not User.objects.exists()


def test_the_admin_without_its_trailing_slash_redirects_to_it(db):
    response = Client().get("/admin")

    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_the_superuser_signs_in_to_the_admin_with_email_and_password(db):
    SuperuserFactory(email="root@example.com")
    client = Client()

    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "Root@Example.com", "password": DEFAULT_PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_the_user_changelist_lists_users(admin_client):
    UserFactory(email="grace@example.com", name="Grace Hopper")

    response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    assert [user.email for user in response.context["cl"].result_list] == [
        "grace@example.com",
        "root@example.com",
    ]


@pytest.mark.parametrize("query", ["grace", "Hopper"])
def test_the_user_changelist_searches_email_and_name(admin_client, query):
    UserFactory(email="grace@example.com", name="Grace Hopper")
    UserFactory(email="ada@example.com", name="Ada Lovelace")

    response = admin_client.get(CHANGELIST, {"q": query})

    assert response.status_code == 200
    assert [user.email for user in response.context["cl"].result_list] == ["grace@example.com"]


def test_the_add_user_page_renders(admin_client):
    response = admin_client.get(f"{CHANGELIST}add/")

    assert response.status_code == 200
    assert {"email", "name", "password1", "password2"} <= set(
        response.context["adminform"].form.fields
    )


def test_adding_a_user_in_the_admin_stores_the_email_lower_cased(admin_client):
    response = admin_client.post(
        f"{CHANGELIST}add/",
        {
            "email": "New.Person@Example.com",
            "name": "New Person",
            "password1": DEFAULT_PASSWORD,
            "password2": DEFAULT_PASSWORD,
        },
    )

    assert response.status_code == 302
    created = User.objects.get(name="New Person")
    assert created.email == "new.person@example.com"
    assert created.check_password(DEFAULT_PASSWORD)


def test_adding_a_user_whose_email_is_taken_in_another_case_shows_an_error(admin_client):
    UserFactory(email="taken@example.com")

    response = admin_client.post(
        f"{CHANGELIST}add/",
        {
            "email": "Taken@Example.com",
            "name": "Someone",
            "password1": DEFAULT_PASSWORD,
            "password2": DEFAULT_PASSWORD,
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "email": ["A user with this email already exists."]
    }
    assert User.objects.filter(email="taken@example.com").count() == 1


def test_the_change_user_page_renders(admin_client):
    user = UserFactory()

    response = admin_client.get(f"{CHANGELIST}{user.pk}/change/")

    assert response.status_code == 200
    assert response.context["original"] == user


def test_the_change_password_page_renders_and_sets_the_password(admin_client):
    user = UserFactory()
    page = f"{CHANGELIST}{user.pk}/password/"

    rendered = admin_client.get(page)
    changed = admin_client.post(
        page, {"password1": "another-long-passphrase", "password2": "another-long-passphrase"}
    )

    assert rendered.status_code == 200
    assert changed.status_code == 302
    user.refresh_from_db()
    assert user.check_password("another-long-passphrase")


@pytest.mark.parametrize(
    ("submitted", "stored"),
    [("img.example.com/me.png", "https://img.example.com/me.png"), ("", None)],
)
def test_saving_the_change_page_keeps_the_image_an_https_url_or_null(
    admin_client, submitted, stored
):
    user = UserFactory(email="grace@example.com", image="https://img.example.com/old.png")

    response = admin_client.post(
        f"{CHANGELIST}{user.pk}/change/",
        {
            "email": "grace@example.com",
            "name": "Grace Hopper",
            "image": submitted,
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.name, user.image) == ("Grace Hopper", stored)
