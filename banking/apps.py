from django.apps import AppConfig


class BankingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "banking"
    verbose_name = "Banking (Banesco)"

    def ready(self):
        from . import checks  # noqa: F401  (registers the system checks)
        from .conf import validate_at_startup

        # One Banesco URL rule for every process (web, workers, commands): https outside the sandbox.
        validate_at_startup()
