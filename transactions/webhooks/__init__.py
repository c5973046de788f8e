"""Webhooks: signed, retried claim notifications to client applications (transactional outbox).

models     endpoints, outbox events and their deliveries (models of the `transactions` app)
services   writes: endpoints (audited), the outbox hook, leasing and recording deliveries
selectors  reads
signing    the Standard Webhooks signature scheme
urlsafety  SSRF checks: which URLs and addresses an endpoint may use
delivery   one HTTP POST to a checked, pinned address
worker     the delivery loop behind `manage.py webhook_worker`
api, urls  `/api/v1/webhooks/`; admin: the read-only admin
"""
