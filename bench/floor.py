"""The floor: bare Django views doing the same SQL as the claims API (bench only).

No DRF, no JWT, no permission checks, no middleware (bench/floor_settings.py): what is left is
Django's request handling, the same ORM queries and the same JSON-sized answers. Create calls the
same service (`transactions.services.create_claim`, so the same INSERTs, audit append and
verification on commit); the reads build the same querysets the API builds for a staff reader.
Each API figure of the bench is shown as a ratio of its floor.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from transactions.models import Transaction
from transactions.selectors import STATUS_FIELDS, caracas_day_start

_USER = None
PAGE_SIZE = 20


def _actor():
    """The claims' owner for floor creates (the API gets it from the JWT; here: one lookup per process)."""
    global _USER
    if _USER is None:
        from accounts.models import User

        _USER = User.objects.get(email=os.environ["BENCH_FLOOR_USER_EMAIL"])
    return _USER


def _json(data, status=200) -> HttpResponse:
    return JsonResponse(data, status=status, encoder=DjangoJSONEncoder, safe=False)


def _alive():
    return Transaction.objects.filter(deleted_at__isnull=True)


def _claim_columns() -> list[str]:
    """The claim's columns and its deciding look-up's, as `.values()` names: the API reads each
    claim with the look-up joined (`transactions.selectors.claim_list`), so the floor does too."""
    from banking.models import BankLookup

    own = [f.attname for f in Transaction._meta.concrete_fields]
    return own + [f"decided_lookup__{f.name}" for f in BankLookup._meta.concrete_fields]


@csrf_exempt
def claims(request):
    if request.method == "POST":
        return _create(request)
    return _list(request)


def _create(request):
    from transactions import services

    body = json.loads(request.body)
    customer = body.pop("customer")
    body.update(
        customer_full_name=customer["full_name"],
        customer_phone=customer["phone"],
        customer_national_id=customer["national_id"],
        concept=customer.get("concept", ""),
    )
    claim, created = services.create_claim(data=body, actor=_actor())
    row = {f.attname: getattr(claim, f.attname) for f in Transaction._meta.concrete_fields}
    return _json(row, status=201 if created else 200)


def _list(request):
    qs = _alive()
    params = request.GET
    if params.get("status"):
        qs = qs.filter(status__in=params["status"].split(","))  # the API's filter takes several
    if params.get("from_date"):
        qs = qs.filter(created_at__gte=caracas_day_start(dt.date.fromisoformat(params["from_date"])))
    if params.get("to_date"):
        day = dt.date.fromisoformat(params["to_date"]) + dt.timedelta(days=1)
        qs = qs.filter(created_at__lt=caracas_day_start(day))
    qs = qs.order_by("-created_at")
    size = int(params.get("size", PAGE_SIZE))
    page = int(params.get("page", 1))
    total = qs.count()
    items = list(qs.values(*_claim_columns())[(page - 1) * size : page * size])
    return _json(
        {"items": items, "total": total, "page": page, "size": size, "pages": math.ceil(total / size)}
    )


def retrieve(request, transaction_id):
    row = _alive().filter(transaction_id=transaction_id).values(*_claim_columns()).first()
    if row is None:
        return _json({"error": "not found"}, status=404)
    return _json(row)


def claim_status(request, transaction_id):
    # The API's status reads the stored status (no bank call since the verification worker): its
    # six columns and the owner (transactions.selectors.claim_status_for_user): the same SQL here,
    # through the ORM each time (the API compiles it once per process: config.sql).
    row = _alive().filter(transaction_id=transaction_id).values("created_by_id", *STATUS_FIELDS).first()
    if row is None:
        return _json({"error": "not found"}, status=404)
    row.pop("created_by_id")
    return _json(row)


def health(request):
    return HttpResponse("ok")
