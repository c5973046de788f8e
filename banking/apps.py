from django.apps import AppConfig


class BankingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "banking"
    verbose_name = "Banking (Banesco)"

    def ready(self):
        from . import checks  # noqa: F401  (registers the system checks)
