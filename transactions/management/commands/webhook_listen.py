"""A tiny local webhook receiver: verifies each signature and prints the event (for `make run`).

    manage.py webhook_listen --port 9000 --secret whsec_...   (or WEBHOOK_SECRET=whsec_...)

Register `http://127.0.0.1:9000/` as an endpoint (local settings allow http and 127.0.0.1).
Answers 204 to a valid event, 400 to a bad signature or a timestamp outside the 5-minute replay
window; an event id seen before is acknowledged and reported as a duplicate.
"""

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.core.management.base import BaseCommand, CommandError

from transactions.webhooks import signing


class Command(BaseCommand):
    help = "Run a local webhook receiver that verifies signatures and prints events."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=9000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument(
            "--secret", action="append", default=[], help="Endpoint secret (repeat during a rotation)."
        )

    def handle(self, *args, port, host, secret, **options):
        secrets_ = secret or [s for s in [os.environ.get("WEBHOOK_SECRET", "")] if s]
        if not secrets_:
            raise CommandError("Give the endpoint's secret with --secret or WEBHOOK_SECRET.")
        server = ThreadingHTTPServer((host, port), self._handler(secrets_))
        self.stdout.write(f"listening on http://{host}:{server.server_port}/ (Ctrl-C to stop)")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()

    def _handler(self, secrets_):
        out, seen, lock = self.stdout, set(), threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                msg_id, errors = None, []
                for key in secrets_:
                    try:
                        msg_id = signing.verify(key, self.headers, body)
                        break
                    except signing.SignatureError as exc:
                        errors.append(str(exc))
                if msg_id is None:
                    out.write(f"REFUSED: {errors[0]}")
                    self.send_response(400)
                    self.end_headers()
                    return
                with lock:
                    duplicate = msg_id in seen
                    seen.add(msg_id)
                event = json.loads(body)
                tag = "duplicate " if duplicate else ""
                out.write(f"{tag}{event['type']} {msg_id} sequence={event.get('sequence')}")
                out.write(json.dumps(event, indent=2, ensure_ascii=False))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        return Handler
