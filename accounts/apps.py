from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Connects the receivers that bump an account's generation when the user is saved or
        # deleted. DRF imports the module only when it first authenticates a request, so a
        # process that never does (a management command, a worker that has served only the
        # admin) would change accounts without the other instances hearing of it.
        from accounts import authentication  # noqa: F401
