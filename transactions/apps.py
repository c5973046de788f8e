from django.apps import AppConfig


class TransactionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "transactions"

    def ready(self):
        from . import checks  # noqa: F401  (registers the start-up checks, config/checks.py)
