from django.apps import AppConfig


class BankingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "banking"
    verbose_name = "Banking (Banesco)"

    def ready(self):
        # Registers Banesco's start-up checks (run for every process by config/checks.py) and its
        # system check.
        from . import checks  # noqa: F401
