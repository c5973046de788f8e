from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"

    def ready(self):
        from accounts import authcache
        from accounts.roles import ensure_roles_after_migrate

        post_migrate.connect(ensure_roles_after_migrate, sender=self, dispatch_uid="accounts.ensure_roles")
        # Cached users and permission sets (accounts.authcache) die with any change to them.
        # No sender filter: migrations' historical models send too; the handlers match labels.
        m2m_changed.connect(authcache.on_m2m_changed, dispatch_uid="accounts.authcache.m2m")
        post_save.connect(authcache.on_model_changed, dispatch_uid="accounts.authcache.save")
        post_delete.connect(authcache.on_model_changed, dispatch_uid="accounts.authcache.delete")
