"""Certification smoke test: get a token, look one known payment up, print the round trip.

One flag per look-up mode, so each case of the joint certification session is one command
(docs/BANESCO_CERTIFICATION.md):

    manage.py banesco_check --mobile    --reference 012345678901 --phone 04141234567 --bank-id 0102 --date …
    manage.py banesco_check --transfer  --reference 987654321012
    manage.py banesco_check --interbank --reference 000444555666 --bank-id 0105 --date …

Secrets and the token are never printed (the token only as its length). Exit status: 0 when the
bank answered (found or not found), non-zero for a refusal, an outage or a configuration fault
(which names the setting to check).
"""

import json
import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from banking.client import INTERBANK, MOBILE, MODES, TRANSFER, BanescoClient, LookupQuery, build_envelope
from banking.conf import get_config
from banking.errors import BankingError
from config.clock import caracas_today
from config.logging import mask_pii


def _redact(value: str, keep: int = 3) -> str:
    return (value[:keep] + "…") if value else "(empty)"


class Command(BaseCommand):
    help = "Check the Banesco configuration end to end (token + one confirmation look-up per mode)."

    def add_arguments(self, parser):
        modes = parser.add_mutually_exclusive_group()
        modes.add_argument("--mobile", dest="mode", action="store_const", const=MOBILE, help="pago móvil")
        modes.add_argument(
            "--transfer", dest="mode", action="store_const", const=TRANSFER, help="Banesco→Banesco transfer"
        )
        modes.add_argument(
            "--interbank",
            dest="mode",
            action="store_const",
            const=INTERBANK,
            help="transfer from another bank to our Banesco account",
        )
        modes.add_argument("--mode", dest="mode", choices=MODES, help="the same, by name")
        parser.set_defaults(mode=MOBILE)
        parser.add_argument("--reference", default=None)
        parser.add_argument("--phone", default=None, help="payer phone (04XXXXXXXXX), pago móvil")
        parser.add_argument("--bank-id", default=None, help="payer bank code (pago móvil, interbank)")
        parser.add_argument("--date", default=None, help="YYYY-MM-DD (pago móvil, interbank); default today")

    def handle(self, *args, **opts):
        config = get_config()
        for problem in config.problems():
            self.stderr.write(f"warning: {problem}")
        client = BanescoClient(config)
        out = self.stdout.write
        out(f"environment: {config.environment}")
        out(f"token url:   {config.token_url}")
        out(f"lookup url:  {config.lookup_url}")
        out(f"client id:   {_redact(config.client_id)}  secret: [REDACTED]  grant: {config.grant_type}")

        started = time.monotonic()
        try:
            token = client.tokens.get_token()
        except BankingError as exc:
            raise CommandError(f"token request failed: {exc.message}") from None
        out(f"token:       OK ({len(token)} chars, {1000 * (time.monotonic() - started):.0f} ms)")

        day = opts["date"] or config.check_date
        query = LookupQuery.build(
            mode=opts["mode"],
            reference=opts["reference"] or config.check_reference,
            bank_id=opts["bank_id"] or config.check_bank_id,
            phone=opts["phone"] or config.check_phone,
            start_date=date.fromisoformat(day) if day else caracas_today(),
        )
        out(f"mode:        {query.mode}")
        out("request:     " + mask_pii(json.dumps(build_envelope(query, config), ensure_ascii=False)))
        result = client.lookup(query)
        out(
            f"answer:      {result.kind} code={result.code} http={result.http_status} "
            f"attempts={result.attempts} {result.duration_ms} ms"
        )
        out("raw body:    " + mask_pii(json.dumps(result.raw, ensure_ascii=False, default=str)[:2000]))
        for row in getattr(result, "rows", ()):
            out(
                f"  row: ref={row.reference} amount={row.amount} currency={row.currency} type={row.trn_type} "
                f"date={row.trn_date} bank={row.source_bank_id}->{row.dest_bank_id}"
            )
        if result.config_fault:
            raise CommandError(
                f"configuration fault: {result.code} {result.description} — check {result.config_fault}"
            )
        if result.kind in ("permanent", "retryable", "short_circuited"):
            raise CommandError(f"lookup failed: {result.code} {result.description}")
