"""Certification smoke test: get a token, look one known reference up, print the round trip.

Secrets and the token are never printed (the token only as its length).
"""

import json
import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from banking.client import MOBILE, TRANSFER, BanescoClient, LookupQuery, build_envelope
from banking.conf import get_config
from banking.errors import BankingError
from banking.sandbox.state import caracas_today
from config.logging import mask_pii


def _redact(value: str, keep: int = 3) -> str:
    return (value[:keep] + "…") if value else "(empty)"


class Command(BaseCommand):
    help = "Check the Banesco configuration end to end (token + one confirmation lookup)."

    def add_arguments(self, parser):
        parser.add_argument("--mode", choices=[MOBILE, TRANSFER], default=MOBILE)
        parser.add_argument("--reference", default=None)
        parser.add_argument("--phone", default=None, help="payer phone (04XXXXXXXXX), pago móvil")
        parser.add_argument("--bank-id", default=None)
        parser.add_argument("--date", default=None, help="YYYY-MM-DD (pago móvil)")

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

        reference = "".join(ch for ch in (opts["reference"] or config.check_reference) if ch.isdigit())
        phone = opts["phone"] or config.check_phone
        day = opts["date"] or config.check_date
        query = LookupQuery(
            mode=opts["mode"],
            reference=reference[-6:] if opts["mode"] == MOBILE else reference,
            bank_id=opts["bank_id"] or (config.check_bank_id if opts["mode"] == MOBILE else "0134"),
            phone=("58" + phone[1:]) if phone.startswith("0") else phone,
            start_date=date.fromisoformat(day) if day else caracas_today(),
        )
        if query.mode == TRANSFER:
            query = LookupQuery(mode=TRANSFER, reference=query.reference, bank_id=query.bank_id)
        out("request:     " + mask_pii(json.dumps(build_envelope(query, config), ensure_ascii=False)))
        result = client.lookup(query)
        out(
            f"answer:      {result.kind} code={result.code} http={result.http_status} "
            f"attempts={result.attempts} {result.duration_ms} ms"
        )
        out("raw body:    " + mask_pii(json.dumps(result.raw, ensure_ascii=False, default=str)[:2000]))
        for row in getattr(result, "rows", ()):
            out(
                f"  row: ref={row.reference} amount={row.amount} type={row.trn_type} date={row.trn_date} "
                f"bank={row.source_bank_id}->{row.dest_bank_id}"
            )
        if result.kind in ("permanent", "retryable", "short_circuited"):
            raise CommandError(f"lookup failed: {result.code} {result.description}")
