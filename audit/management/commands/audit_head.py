"""manage.py audit_head [--json] [--publish FILE]: the head of every chain (docs/AUDIT_CHAINS.md).

Publish it somewhere the database's administrators cannot rewrite (a log shipped off the host, a
ticket, an object store with retention): `verify_audit --expect-head SEQ:HASH` (or
`--expect-head-file FILE`) later proves that no event up to that head was cut from the tail or
rewritten. `expect_head` lists every chain's head as `CHAIN:POSITION:HASH`, comma-separated
(chain 0 is the closed legacy chain, positioned by sequence). `--publish FILE` writes the heads
as one JSON object (atomically: a temporary file
renamed over FILE) for a scheduled job to ship; docs/OPERATIONS.md has the routine.
"""

import json
import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils import timezone

from audit.selectors import audit_head, chain_heads


def head_document() -> dict:
    head = audit_head()
    chains = {
        str(chain): {
            "position": event.sequence if chain == 0 else event.chain_seq,
            "hash": event.hash,
            "sequence": event.sequence,
        }
        for chain, event in sorted(chain_heads().items())
    }
    return {
        "sequence": head.sequence if head else 0,
        "hash": head.hash if head else None,
        "occurred_at": head.occurred_at.isoformat() if head else None,
        "published_at": timezone.now().isoformat(),
        "chains": chains,
        "expect_head": ",".join(f"{c}:{h['position']}:{h['hash']}" for c, h in chains.items()) or None,
    }


def publish(path: Path, document: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as handle:
        json.dump(document, handle, sort_keys=True)
        handle.write("\n")
    os.replace(tmp, path)


class Command(BaseCommand):
    help = "Print (or --publish to a file) the audit chain head to keep outside the database."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")
        parser.add_argument("--publish", metavar="FILE", help="Also write the head as JSON to FILE.")

    def handle(self, *args, **options):
        data = head_document()
        if options["publish"]:
            publish(Path(options["publish"]), data)
        if options["json"]:
            self.stdout.write(json.dumps(data, sort_keys=True))
        else:
            self.stdout.write(f"{data['sequence']} {data['hash'] or '-'} {data['occurred_at'] or '-'}")
            self.stdout.write(f"expect-head {data['expect_head'] or '-'}")
