"""Bench data: the database, users, and N claims (+ their audit events) via INSERT … SELECT.

Claims are generated inside PostgreSQL with generate_series (no Python loop, no round trips):
statuses 82 % COMPLETED, 6 % CANCELED, 5 % TO_REVIEW, 4 % IN_PROGRESS, 3 % UNKNOWN; created over
the last 365 days, skewed towards recent days; 60 % pago móvil (payer bank among the Sudeban
codes) and 40 % Banesco transfers; Venezuelan mobile phones and national ids; amounts 10–50 000
VES; a bank answer stored on the verified ones. Every claim gets its `transaction.created` audit
event, every non-IN_PROGRESS claim also a `transaction.status_changed` one (with `from_status` /
`to_status` in its metadata, as transactions.services writes them: the daily report reads them).
One COMPLETED/CANCELED claim in ten went through review: IN_PROGRESS -> TO_REVIEW (bank) and,
1-7 hours later, TO_REVIEW -> its status by the bench reconciler (a third event). CANCELED claims
that were not reviewed were withdrawn by their client. TO_REVIEW claims carry their cause
(`status_reason_code`) and `review_since`.

The seeded audit events go to the legacy chain 0 (docs/AUDIT_CHAINS.md) and are NOT a valid
hash chain (their hashes are md5-based placeholders), so
`manage.py verify_audit` reports the bench database as broken at the first seeded event. Events
appended afterwards by the API do chain correctly from the last seeded one.

Pending claims (IN_PROGRESS/UNKNOWN) are seeded with next_verification_at one day ahead, so the
sweep scenario only works on the claims it creates.
"""

from __future__ import annotations

import time

import psycopg

from bench.common import PG_ADMIN_DSN, log

STATUS_CASE = """CASE WHEN r_status < 0.82 THEN 'COMPLETED' WHEN r_status < 0.88 THEN 'CANCELED'
    WHEN r_status < 0.93 THEN 'TO_REVIEW' WHEN r_status < 0.97 THEN 'IN_PROGRESS' ELSE 'UNKNOWN' END"""

FIRST = [
    "María",
    "José",
    "Ana",
    "Luis",
    "Carmen",
    "Pedro",
    "Rosa",
    "Carlos",
    "Luisa",
    "Jesús",
    "Yolanda",
    "Andrés",
]
LAST = [
    "Pérez",
    "Rodríguez",
    "González",
    "Núñez",
    "Díaz",
    "Ramírez",
    "Hernández",
    "Martínez",
    "Rojas",
    "Mendoza",
]
PREFIXES = ["0412", "0414", "0416", "0424", "0426"]

CLAIMS_SQL = (
    """
INSERT INTO transactions_transaction (
    id, transaction_id, status, bank, transaction_type, reference, amount, payment_date,
    payer_bank_code, customer_full_name, customer_phone, customer_national_id, concept,
    banesco_payload, status_reason, metadata, verification_attempts, last_verified_at,
    next_verification_at, created_by_id, created_at, updated_at, deleted_at, status_reason_code,
    review_since)
SELECT gen_random_uuid(), 'seed-' || lpad(i::text, 9, '0'), status, bank, 'TRANSACTION',
    (100000000000 + i)::text, amount, (created AT TIME ZONE 'America/Caracas')::date - lag_days,
    CASE WHEN bank = 'BANESCO' THEN '0134' ELSE bank_codes[1 + (i * 7) %% cardinality(bank_codes)] END,
    first_names[1 + (i * 13) %% cardinality(first_names)] || ' '
        || last_names[1 + (i * 17) %% cardinality(last_names)]
        || ' ' || last_names[1 + (i * 3) %% cardinality(last_names)],
    prefixes[1 + i %% cardinality(prefixes)] || lpad((floor(random() * 10000000))::int::text, 7, '0'),
    'V' || (1000000 + floor(random() * 29000000))::int::text,
    CASE WHEN i %% 3 = 0 THEN 'Consulta médica' ELSE '' END,
    CASE WHEN status IN ('COMPLETED', 'TO_REVIEW') THEN jsonb_build_object(
        'httpStatus', jsonb_build_object('statusCode', '200', 'statusDesc', 'OK'),
        'dataResponse', jsonb_build_object('transactionDetail', jsonb_build_array(jsonb_build_object(
            'referenceNumber', (100000000000 + i)::text, 'amount', amount, 'currencyCode', 'BS ',
            'accountId', '0134********0001', 'trnDate', to_char(created, 'YYYY-MM-DD'),
            'trnTime', to_char(created, 'HH24:MI:SS'), 'trnType', 'CR', 'sourceBankId', '0102',
            'destBankId', '0134', 'concept', 'PAGO MOVIL')))) END,
    CASE status WHEN 'COMPLETED' THEN 'Verified with the bank: one credit movement of the same amount.'
        WHEN 'TO_REVIEW' THEN 'Amount differs from the bank movement.'
        WHEN 'UNKNOWN' THEN 'The bank could not be reached (timeout); will retry later.'
        WHEN 'CANCELED' THEN 'Withdrawn by the client.' ELSE '' END,
    '{}'::jsonb,
    CASE WHEN status = 'IN_PROGRESS' THEN 0 ELSE 1 + i %% 3 END,
    CASE WHEN status = 'IN_PROGRESS' THEN NULL ELSE created + interval '3 seconds' END,
    CASE WHEN status IN ('IN_PROGRESS', 'UNKNOWN') THEN now() + interval '1 day' END,
    owners[1 + i %% cardinality(owners)], created, created + interval '3 seconds', NULL,
    CASE status WHEN 'COMPLETED' THEN 'VERIFIED' WHEN 'TO_REVIEW' THEN 'AMOUNT_MISMATCH'
        WHEN 'UNKNOWN' THEN 'BANK_UNREACHABLE' ELSE '' END,
    CASE WHEN status = 'TO_REVIEW' THEN created + interval '3 seconds' END
FROM (
    SELECT i, """
    + STATUS_CASE
    + """ AS status,
        CASE WHEN r_bank < 0.6 THEN 'MOBILE_TRANSFER' ELSE 'BANESCO' END AS bank,
        round((10 + 50000 * r_amount * r_amount)::numeric, 2) AS amount,
        CREATED_EXPR AS created,
        (r_bank * 100)::int %% 3 AS lag_days
    FROM (SELECT i, random() AS r_status, random() AS r_bank, random() AS r_amount, random() AS r_age
          FROM generate_series(%(start)s::bigint, %(stop)s::bigint - 1) AS i) AS r
) AS s,
(SELECT %(owners)s::uuid[] AS owners, %(banks)s::text[] AS bank_codes, %(first)s::text[] AS first_names,
        %(last)s::text[] AS last_names, %(prefixes)s::text[] AS prefixes) AS data
"""
)

# When the claims were made: over the last year, skewed towards recent days; or one Caracas day.
OVER_A_YEAR = "now() - (365 * power(r_age, 1.6)) * interval '1 day'"
ONE_DAY = "%(day_start)s::timestamptz + r_age * interval '1 day'"


def claims_sql(created_expr: str = OVER_A_YEAR) -> str:
    return CLAIMS_SQL.replace("CREATED_EXPR", created_expr)


EVENTS_SQL = """
INSERT INTO audit_auditevent (
    sequence, occurred_at, actor_id, actor_type, actor_label, action, target_type_id, target_id,
    before, after, reason, request_id, ip, metadata, prev_hash, hash)
SELECT %(base)s + row_number() OVER (ORDER BY t.transaction_id, k.kind),
    CASE k.kind WHEN 1 THEN t.created_at WHEN 2 THEN t.created_at + interval '3 seconds'
        ELSE t.created_at + (1 + right(t.reference, 2)::int %% 7) * interval '1 hour' END,
    CASE WHEN k.kind = 1 OR (k.kind = 2 AND t.status = 'CANCELED' AND NOT r.reviewed) THEN t.created_by_id
         WHEN k.kind = 3 THEN %(reconciler)s::uuid END,
    CASE WHEN k.kind = 2 AND NOT (t.status = 'CANCELED' AND NOT r.reviewed) THEN 'BANK' ELSE 'USER' END,
    CASE WHEN k.kind = 3 THEN %(reconciler_label)s
         WHEN k.kind = 1 OR (t.status = 'CANCELED' AND NOT r.reviewed) THEN %(label)s ELSE '' END,
    CASE WHEN k.kind = 1 THEN 'transaction.created' ELSE 'transaction.status_changed' END,
    %(ct)s, t.id::text,
    CASE k.kind WHEN 2 THEN jsonb_build_object('status', 'IN_PROGRESS')
        WHEN 3 THEN jsonb_build_object('status', 'TO_REVIEW') END,
    CASE WHEN k.kind = 1 THEN jsonb_build_object('status', 'IN_PROGRESS', 'transaction_id', t.transaction_id,
        'reference', t.reference, 'amount', t.amount::text, 'bank', t.bank)
        ELSE jsonb_build_object('status', r.step_to) END,
    CASE WHEN k.kind = 1 THEN '' WHEN k.kind = 3 THEN 'Checked against the statement'
        WHEN r.reviewed THEN 'Amount differs from the bank movement.' ELSE t.status_reason END,
    md5(t.transaction_id), '10.0.0.1'::inet,
    CASE WHEN k.kind = 1 THEN '{}'::jsonb
        ELSE jsonb_build_object('from_status', r.step_from, 'to_status', r.step_to) END,
    md5(t.id::text || k.kind) || md5(t.transaction_id || k.kind),
    md5(t.transaction_id || k.kind) || md5(t.id::text || k.kind)
FROM transactions_transaction t CROSS JOIN (VALUES (1), (2), (3)) AS k(kind),
LATERAL (SELECT t.status IN ('COMPLETED', 'CANCELED') AND right(t.reference, 1) = '0' AS reviewed) AS rv,
LATERAL (SELECT rv.reviewed,
    CASE WHEN k.kind = 3 THEN 'TO_REVIEW' ELSE 'IN_PROGRESS' END AS step_from,
    CASE WHEN k.kind = 2 AND rv.reviewed THEN 'TO_REVIEW' ELSE t.status END AS step_to) AS r
WHERE t.transaction_id >= %(lo)s AND t.transaction_id < %(hi)s
  AND t.transaction_id LIKE 'seed-%%' AND (k.kind = 1 OR t.status <> 'IN_PROGRESS')
  AND (k.kind < 3 OR r.reviewed)
"""


def recreate_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def ensure_users() -> dict:
    """The bench's users (Django ORM, so roles and permissions are the real ones)."""
    from django.contrib.auth.models import Group

    from accounts.models import User
    from accounts.roles import CLIENT, RECONCILER

    users = {}
    for email, role, staff in (
        ("bench-client@example.test", CLIENT, False),
        ("bench-reconciler@example.test", RECONCILER, True),
    ):
        user, _ = User.objects.get_or_create(email=email, defaults={"full_name": email, "is_staff": staff})
        user.groups.add(Group.objects.get(name=role))
        users[role] = user
    owners = [users[CLIENT]]
    for n in range(19):
        user, _ = User.objects.get_or_create(email=f"bench-client-{n}@example.test")
        user.groups.add(Group.objects.get(name=CLIENT))
        owners.append(user)
    users["owners"] = owners
    return users


def seeded_count(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT count(*) FROM transactions_transaction WHERE transaction_id LIKE 'seed-%%'"
        ).fetchone()
    return row[0]


SECONDARY_INDEXES_SQL = """
SELECT i.indexname, i.indexdef FROM pg_indexes i
WHERE i.schemaname = 'public' AND i.tablename IN ('transactions_transaction', 'audit_auditevent')
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
"""


def _drop_secondary_indexes(conn) -> list[tuple[str, str]]:
    """Drop the non-constraint indexes of the two big tables; return their definitions."""
    indexes = conn.execute(SECONDARY_INDEXES_SQL).fetchall()
    for name, _ in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    return indexes


def seed_claims(
    *,
    dsn: str,
    start: int,
    stop: int,
    owner_ids: list[str],
    batch: int = 250_000,
    day_start=None,
    reconciler_id: str | None = None,
) -> dict:
    """Insert claims seed-<start>..seed-<stop-1> and their audit events. Returns counts and seconds.

    `day_start` (a tz-aware datetime): the claims are made over the 24 hours from it instead of
    over the last year. `reconciler_id`: the user recorded as deciding the reviewed claims.

    For large loads (>= 50 k rows) the secondary indexes are dropped first and rebuilt from their
    exact definitions afterwards (a bulk build is several times faster than row-by-row upkeep);
    the unique/primary-key constraints stay in place throughout.
    """
    from django.contrib.contenttypes.models import ContentType

    from transactions.banks import BANKS
    from transactions.models import Transaction

    ct = ContentType.objects.get_for_model(Transaction).pk
    codes = sorted(BANKS)
    claims = events = 0
    t0 = time.perf_counter()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '512MB'")
        conn.execute("SET work_mem = '256MB'")
        # Bulk-load mode for this session only: no per-row FK trigger checks (the rows are consistent
        # by construction: owners and content type are looked up above).
        conn.execute("SET session_replication_role = replica")
        dropped = _drop_secondary_indexes(conn) if stop - start >= 50_000 else []
        for lo in range(start, stop, batch):
            hi = min(stop, lo + batch)
            with conn.transaction():
                cur = conn.execute(
                    claims_sql(OVER_A_YEAR if day_start is None else ONE_DAY),
                    {
                        "day_start": day_start,
                        "start": lo,
                        "stop": hi,
                        "owners": owner_ids,
                        "banks": codes,
                        "first": FIRST,
                        "last": LAST,
                        "prefixes": PREFIXES,
                    },
                )
                claims += cur.rowcount
                conn.execute("SELECT pg_advisory_xact_lock(7020599496736077361)")  # the audit append lock
                base = conn.execute("SELECT coalesce(max(sequence), 0) FROM audit_auditevent").fetchone()[0]
                cur = conn.execute(
                    EVENTS_SQL,
                    {
                        "base": base,
                        "label": "bench-client@example.test",
                        "reconciler": reconciler_id,
                        "reconciler_label": "bench-reconciler@example.test",
                        "ct": ct,
                        "lo": f"seed-{lo:09d}",
                        "hi": f"seed-{hi:09d}",
                    },
                )
                events += cur.rowcount
            log(f"seeded claims {lo}..{hi - 1} ({time.perf_counter() - t0:.1f} s)")
        for _name, definition in dropped:
            conn.execute(definition)
        if dropped:
            log(f"rebuilt {len(dropped)} indexes ({time.perf_counter() - t0:.1f} s)")
        # New events draw their global sequence after the seeded ones (audit migration 0005).
        conn.execute(
            "SELECT setval('audit_auditevent_sequence_seq', "
            "GREATEST((SELECT max(sequence) FROM audit_auditevent), 1))"
        )
        conn.execute("ANALYZE transactions_transaction")
        conn.execute("ANALYZE audit_auditevent")
    seconds = time.perf_counter() - t0
    return {"claims": claims, "events": events, "seconds": seconds}
