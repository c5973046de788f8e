"""PostgreSQL restarted under load, on a SEPARATE cluster (scripts/ensure-pg-faults.sh, port 5439), so
the other suites on 5432 never notice.

* API: gunicorn (2 workers) on a free port, a client hammering create/list/ready while the cluster is
  stopped and started again: every failure is a JSON envelope (503), never a 500 or an HTML page;
  /ready/ says the database failed; afterwards requests succeed again.
* Sweep: `manage.py verify_pending` (HTTP sandbox with latency) while the cluster restarts; a second
  sweep finishes the work. Afterwards every claim's status equals its last audit event's status, no
  claim changed status twice, and `verify_audit` passes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests

from tests.banking.sandbox_server import SandboxProcess, free_port

ROOT = Path(__file__).resolve().parents[2]
PORT = int(os.environ.get("PG_FAULTS_PORT", "5439"))
CLUSTER = os.environ.get("PG_FAULTS_CLUSTER", "faults")
LONG = os.environ.get("RELIABILITY_LONG") == "1"


def _pg_version() -> str:
    return sorted(os.listdir("/etc/postgresql"), key=lambda v: [int(x) for x in v.split(".")])[-1]


def pg_ctl(action: str) -> None:
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", _pg_version(), CLUSTER, action, "-m", "fast"]
        if action in ("stop", "restart")
        else ["pg_ctlcluster", "--skip-systemctl-redirect", _pg_version(), CLUSTER, action],
        check=True,
        capture_output=True,
        timeout=60,
    )


def pg_up() -> bool:
    return (
        subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", str(PORT), "-q"], check=False).returncode == 0
    )


@pytest.fixture(scope="module")
def faults_db():
    if not shutil.which("pg_createcluster") or not os.path.isdir("/etc/postgresql"):
        pytest.skip("needs postgresql-common (pg_createcluster) to run a separate cluster")
    result = subprocess.run(
        [str(ROOT / "scripts/ensure-pg-faults.sh"), str(PORT)], capture_output=True, text=True, timeout=120
    )
    if result.returncode != 0:
        pytest.skip(f"could not start the faults cluster: {result.stderr[-500:]}")
    name = f"am_faults_{uuid.uuid4().hex[:8]}"
    subprocess.run(["createdb", "-h", "127.0.0.1", "-p", str(PORT), "-U", "postgres", name], check=True)
    url = f"postgres://postgres@127.0.0.1:{PORT}/{name}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_ENV": "test",
        "DATABASE_URL": url,
        "LOG_LEVEL": "ERROR",
        "CLAIM_CREATE_RATE": "100000/m",
        "REDIS_URL": "",
    }
    env.pop("TEST_DB_NAME", None)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
    )
    yield env
    if not pg_up():
        pg_ctl("start")
    subprocess.run(
        ["dropdb", "-h", "127.0.0.1", "-p", str(PORT), "-U", "postgres", "--force", "--if-exists", name],
        check=False,
    )


def helper(env, *args) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "tests.reliability.faults_helper", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def verify_audit(env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "verify_audit"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def wait_until(predicate, timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def restart_cluster(outage_seconds: float, during=None) -> None:
    pg_ctl("stop")
    assert not pg_up()
    try:
        if during:
            during()
        time.sleep(outage_seconds)
    finally:
        pg_ctl("start")
    assert wait_until(pg_up, 30)


@pytest.fixture
def web(faults_db, tmp_path):
    port = free_port()
    # stderr to a file, never a pipe nobody reads: a full pipe would block the workers' logging
    errors = (tmp_path / "gunicorn.err").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--timeout",
            "30",
            "--graceful-timeout",
            "5",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=faults_db,
        stdout=subprocess.DEVNULL,
        stderr=errors,
    )
    base = f"http://127.0.0.1:{port}"

    def alive():
        try:
            return requests.get(f"{base}/health/", timeout=5).status_code == 200
        except requests.RequestException:
            return False

    assert wait_until(alive, 30), (tmp_path / "gunicorn.err").read_text()[-2000:]
    yield base
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    errors.close()


def test_api_under_load_while_postgres_restarts(faults_db, web):
    seeded = helper(faults_db, "seed", "3")
    headers = {"Authorization": f"Bearer {seeded['token']}"}
    stop = threading.Event()
    log: list[tuple[str, int, str, bytes]] = []
    lock = threading.Lock()
    counter = iter(range(10**6))

    def body(i):
        return {
            "transaction_id": f"load-{uuid.uuid4().hex[:10]}",
            "bank": "MOBILE_TRANSFER",
            "transaction_type": "TRANSACTION",
            "reference": f"{uuid.uuid4().int % 10**12:012d}",
            "amount": "25.00",
            "payment_date": time.strftime("%Y-%m-%d"),
            "payer_bank_code": "0102",
            "customer": {"full_name": "Ana Pérez", "phone": "04141234567", "national_id": "V1234567"},
        }

    def load():
        session = requests.Session()
        while not stop.is_set():
            i = next(counter)
            kind = ("create", "list", "ready", "detail")[i % 4]
            try:
                if kind == "create":
                    r = session.post(f"{web}/api/v1/transactions/", json=body(i), headers=headers, timeout=15)
                elif kind == "list":
                    r = session.get(f"{web}/api/v1/transactions/", headers=headers, timeout=15)
                elif kind == "detail":
                    r = session.get(f"{web}/api/v1/transactions/f-missing-{i}/", headers=headers, timeout=15)
                else:
                    r = session.get(f"{web}/ready/", timeout=15)
            except requests.RequestException as exc:  # gunicorn itself stays up: this must not happen
                with lock:
                    log.append((kind, -1, type(exc).__name__, b""))
                continue
            with lock:
                log.append((kind, r.status_code, r.headers.get("Content-Type", ""), r.content[:400]))

    threads = [threading.Thread(target=load) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        time.sleep(1.0)
        with lock:
            mark_before = len(log)

        def saw_outage():
            with lock:
                return any(s == 503 for _, s, _, _ in log[mark_before:])

        restart_cluster(0.5, during=lambda: wait_until(saw_outage, 10))
        with lock:
            mark_after = len(log)
        time.sleep(3.0 if not LONG else 15.0)
    finally:
        stop.set()
        for t in threads:
            t.join(30)

    assert not [entry for entry in log if entry[1] == -1], "connection-level failures"
    assert not [entry for entry in log if entry[1] >= 500 and entry[1] != 503], [
        e for e in log if e[1] >= 500
    ][:3]
    failures = [entry for entry in log if entry[1] >= 400 and entry[1] != 404]
    assert failures, "the outage was not observed"
    for kind, status, ctype, content in failures:
        assert status == 503, (kind, status, content)
        assert ctype.startswith("application/json"), (kind, ctype, content)
        payload = json.loads(content)
        assert set(payload) == {"error"} and payload["error"]["code"], payload
        assert b"Traceback" not in content
        if kind == "ready":
            assert payload["error"]["details"]["checks"]["database"].startswith("failed"), payload
    # after the restart: everything resumes (allowing the first requests to reconnect)
    tail = log[mark_after:]
    later = tail[len(tail) // 2 :]
    assert later and all(status in (200, 201, 404) for _, status, _, _ in later), later[:5]
    ok_ready = [c for k, s, _, c in later if k == "ready" and s == 200]
    assert ok_ready and json.loads(ok_ready[-1])["checks"]["database"] == "ok"

    report = helper(faults_db, "consistency")
    assert report["mismatches"] == [], report
    result = verify_audit(faults_db)
    assert result.returncode == 0, result.stdout + result.stderr


def test_sweep_while_postgres_restarts(faults_db):
    n = 300 if LONG else 120
    seeded = helper(faults_db, "seed", str(n))
    sandbox = SandboxProcess(timeout_seconds=1.0)
    try:
        sandbox.reset(seed_demo=False)
        sandbox.set(latency_ms=15)
        sandbox.add_payments(
            [
                {"reference": ref, "amount": "10.00", "phone": "584161234567", "source_bank_id": "0102"}
                for ref in seeded["references"]
            ]
        )
        env = {
            **faults_db,
            "BANESCO_ENVIRONMENT": "sandbox",
            "BANESCO_SANDBOX_IN_PROCESS": "false",
            "BANESCO_AUTH_BASE_URL": sandbox.url,
            "BANESCO_API_BASE_URL": sandbox.url,
            "BANESCO_CACHE_PREFIX": f"dbf-{uuid.uuid4().hex[:8]}",
            "BANESCO_LOOKUPS_PER_SECOND": "100000",
            "BANESCO_SWEEP_LEASE_SECONDS": "1",
            "BANESCO_READ_TIMEOUT": "2",
        }
        cmd = [
            sys.executable,
            "manage.py",
            "verify_pending",
            "--workers",
            "2",
            "--batch-size",
            "5",
            "--no-progress",
        ]
        sweep = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

        def some_done():
            return sandbox.counters()["lookup_requests"] >= n // 4

        assert wait_until(some_done, 60)
        restart_cluster(1.0)
        out, _err = sweep.communicate(timeout=240)
        # The sweep notices: it stops leasing, keeps what it did, and reports the failure (it used to
        # lose its whole summary: "checked=0 failed=0" after 1/3 of the work).
        summary = dict(kv.split("=", 1) for kv in out.split() if "=" in kv)
        assert int(summary.get("failed", 0)) >= 1, out + _err[-1500:]
        assert int(summary.get("checked", 0)) >= 1, out

        # Claims in flight during the outage were not lost: the next sweep (leases expired) finishes them.
        time.sleep(1.2)
        again = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
        assert again.returncode == 0, again.stderr[-2000:]
        report = helper(faults_db, "consistency")
        assert report["mismatches"] == [], report
        assert report["claims_with_several_status_changes"] == 0, report  # no transition applied twice
        completed = report["statuses"].get("COMPLETED", 0)
        assert completed >= n, report  # every seeded claim of this test completed
        result = verify_audit(faults_db)
        assert result.returncode == 0, result.stdout + result.stderr
    finally:
        sandbox.stop()
