"""System checks: `manage.py check` warns about half-configured Banesco settings.

Production with the sandbox or without credentials already refuses to start (config/settings.py);
these checks catch the rest (a client id without its secret, a non-https URL, a bad account id...).
Tagged `banking` and registered for deploy checks too, so `check --deploy` reports them.
"""

from django.core.checks import Error, Tags, Warning, register

from .conf import get_config


@register("banking")
def banesco_settings_check(app_configs=None, **kwargs):
    config = get_config()
    return [
        Warning(problem, hint="See the `# --- banking` block of config/settings.py.", id=f"banking.W{n:03d}")
        for n, problem in enumerate(config.problems(), start=1)
    ]


@register("banking", Tags.security, deploy=True)
def banesco_production_check(app_configs=None, **kwargs):
    from django.conf import settings

    if not getattr(settings, "IS_PRODUCTION", False):
        return []
    config = get_config()
    errors = []
    if config.environment == "sandbox":
        errors.append(Error("Production must not use the Banesco sandbox.", id="banking.E001"))
    if not config.client_id or not config.client_secret:
        errors.append(
            Error("Production needs BANESCO_CLIENT_ID and BANESCO_CLIENT_SECRET.", id="banking.E002")
        )
    return errors
