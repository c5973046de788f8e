"""The admin app config that makes `transactions.admin_site.AreaMedicaAdminSite` the default admin site."""

from django.contrib.admin.apps import AdminConfig


class AreaMedicaAdminConfig(AdminConfig):
    default_site = "transactions.admin_site.AreaMedicaAdminSite"
