import io

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from accounts.roles import ROLES
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_create_user_with_password_stdin(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("Str0ng-password-2026\n"))
    out = io.StringIO()
    call_command(
        "create_user",
        "Recon@Example.test",
        "--role",
        "reconciler",
        "--full-name",
        "Rec One",
        "--password-stdin",
        stdout=out,
    )
    user = User.objects.get(email="recon@example.test")
    assert user.check_password("Str0ng-password-2026")
    assert user.roles == ["reconciler"] and user.is_staff and user.full_name == "Rec One"
    assert "Str0ng-password-2026" not in out.getvalue()
    assert "recon@example.test" in out.getvalue()
    assert AuditEvent.objects.filter(action="accounts.user_created", target_id=str(user.pk)).exists()


def test_create_user_errors_are_command_errors(monkeypatch, make_user):
    make_user("client", email="dup@example.test")
    monkeypatch.setattr("sys.stdin", io.StringIO("Str0ng-password-2026\n"))
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_user", "dup@example.test", "--role", "client", "--password-stdin")
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    with pytest.raises(CommandError, match="password"):
        call_command("create_user", "new@example.test", "--role", "client", "--password-stdin")
    with pytest.raises(CommandError):
        call_command("create_user", "new@example.test", "--role", "wizard", "--password-stdin")
    assert not User.objects.filter(email="new@example.test").exists()


def test_create_user_without_tty_or_stdin_flag_refuses(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(CommandError, match="password-stdin"):
        call_command("create_user", "x@example.test", "--role", "client")


def test_seed_demo_is_idempotent_and_prints_the_table(api_client):
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=out)
    assert User.objects.filter(email__endswith="@demo.areamedica.test").count() == len(ROLES)
    text = out.getvalue()
    assert "client@demo.areamedica.test" in text and "demo-client-2026" in text
    response = api_client.post(
        "/api/v1/auth/token/",
        {"email": "admin@demo.areamedica.test", "password": "demo-admin-2026"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["user"]["roles"] == ["admin"]
    assert AuditEvent.objects.filter(action="accounts.user_created").count() == len(ROLES)


def test_seed_demo_refused_in_production(settings):
    settings.DJANGO_ENV = "production"
    settings.IS_PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        call_command("seed_demo")
    assert not User.objects.filter(email__endswith="@demo.areamedica.test").exists()
