"""The admin app config that makes `config.admin.AreaMedicaAdminSite` the default admin site."""

from django.contrib.admin.apps import AdminConfig


class AreaMedicaAdminConfig(AdminConfig):
    default_site = "config.admin.AreaMedicaAdminSite"
