"""The project's app configs: the admin's (first in INSTALLED_APPS) and the start-up checks' (last)."""

from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig

from config import checks


class AreaMedicaAdminConfig(AdminConfig):
    default_site = "transactions.admin_site.AreaMedicaAdminSite"


class StartupChecksConfig(AppConfig):
    """Last in INSTALLED_APPS: its `ready` runs after every other app's, once they have all
    registered their start-up checks (config/checks.py), and refuses to start on a problem."""

    name = "config"
    label = "config"
    verbose_name = "Configuration checks"

    def ready(self):
        checks.enforce()
