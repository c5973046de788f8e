"""scripts/backup.sh and scripts/restore.sh, once, on a small real database: seed claims and audit
events, dump, drop the database, restore, and the audit chain still verifies."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from .test_db_faults import helper, verify_audit

ROOT = Path(__file__).resolve().parents[2]
PG = "postgres://postgres@127.0.0.1:5432"


def psql(sql: str, db: str = "postgres") -> str:
    return subprocess.run(
        ["psql", f"{PG}/{db}", "-Atc", sql], capture_output=True, text=True, check=True, timeout=60
    ).stdout.strip()


@pytest.mark.skipif(not shutil.which("pg_dump"), reason="needs the PostgreSQL client tools")
def test_backup_drop_restore_verify_audit(tmp_path):
    name = f"am_backup_{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_ENV": "test",
        "DATABASE_URL": f"{PG}/{name}",
        "LOG_LEVEL": "ERROR",
        "REDIS_URL": "",
    }
    env.pop("TEST_DB_NAME", None)
    psql(f'CREATE DATABASE "{name}"')
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=300,
        )
        helper(env, "seed", "5")
        before = helper(env, "consistency")
        events = psql("SELECT count(*), max(sequence), max(hash) FROM audit_auditevent", name)
        assert before["claims"] == 5 and int(events.split("|")[0]) >= 5
        assert verify_audit(env).returncode == 0

        dump = tmp_path / "backups" / "am.dump"
        result = subprocess.run(
            [str(ROOT / "scripts/backup.sh"), str(dump)], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr
        assert dump.exists() and (tmp_path / "backups" / "am.dump.sha256").exists()
        assert oct(dump.stat().st_mode & 0o777) == "0o600"

        psql(f'DROP DATABASE "{name}" WITH (FORCE)')
        result = subprocess.run(
            [str(ROOT / "scripts/restore.sh"), str(dump)], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr

        assert psql("SELECT count(*), max(sequence), max(hash) FROM audit_auditevent", name) == events
        after = helper(env, "consistency")
        assert after == before
        check = verify_audit(env)
        assert check.returncode == 0, check.stdout + check.stderr
        assert "OK" in check.stdout
        # the append-only trigger came back with the restore
        refused = subprocess.run(
            ["psql", f"{PG}/{name}", "-Atc", "UPDATE audit_auditevent SET reason = 'x'"],
            capture_output=True,
            text=True,
        )
        assert refused.returncode != 0

        # a second restore over a populated database is refused unless asked for explicitly
        again = subprocess.run(
            [str(ROOT / "scripts/restore.sh"), str(dump)], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert again.returncode == 3 and "RESTORE_CLEAN=1" in again.stderr
    finally:
        psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
