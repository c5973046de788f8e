"""The README's configuration tables name every environment variable config/settings.py reads."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENV_READ = re.compile(r"""(?:env(?:\.\w+)?|_required)\(\s*["']([A-Z][A-Z0-9_]+)["']""")


def test_every_settings_variable_is_documented():
    settings_text = (ROOT / "config" / "settings.py").read_text()
    readme = (ROOT / "README.md").read_text()
    variables = set(ENV_READ.findall(settings_text))
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "LOGIN_RATE_PER_IP"} <= variables  # the regex works
    missing = sorted(v for v in variables if f"`{v}`" not in readme)
    assert not missing, f"add these to the README configuration tables: {missing}"


def test_readme_has_the_two_commands_and_placeholders():
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme
    for heading in (
        "Verification with Banesco",
        "Reconciler back-office",
        "Audit trail",
        "Performance",
        "Operations",
    ):
        assert f"## {heading}" in readme
