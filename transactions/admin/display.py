"""How the claim admin shows things: status badges, bolívar amounts, the audit trail table and
the explanation of the bank's answer (rendered from `transactions.evidence`, the parsed look-up)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from audit.actions import TRANSACTION_ASSIGNED, TRANSACTION_COMMENTED, TRANSACTION_RELEASED
from audit.selectors import events_for_target
from transactions.evidence import bank_evidence
from transactions.models import ReasonCode, Status, Transaction, status_label

STATUS_CSS = {
    Status.IN_PROGRESS: "st-in-progress",
    Status.COMPLETED: "st-completed",
    Status.CANCELED: "st-canceled",
    Status.UNKNOWN: "st-unknown",
    Status.TO_REVIEW: "st-to-review",
}
MAX_EVENTS_SHOWN = 50


def status_badge_html(status: str):
    return format_html(
        '<span class="status-badge {}">{}</span>', STATUS_CSS.get(status, ""), status_label(status)
    )


def format_ves(amount) -> str:
    """1234567.5 -> 'Bs. 1.234.567,50' (Venezuelan format, fixed regardless of locale)."""
    if amount is None:
        return ""
    text = f"{amount:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")
    return f"Bs. {text}"


def audit_events_html(obj):
    """The claim's audit trail, newest first (at most MAX_EVENTS_SHOWN rows)."""
    events = list(events_for_target(obj)[: MAX_EVENTS_SHOWN + 1])
    if not events:
        return gettext("No events.")
    more = len(events) > MAX_EVENTS_SHOWN
    rows = format_html_join(
        "",
        '<tr class="ev-{}"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>',
        (
            (
                ev.action.replace(".", "-"),
                ev.sequence,
                timezone.localtime(ev.occurred_at).strftime("%Y-%m-%d %H:%M:%S"),
                ev.action,
                ev.actor_label or ev.actor_type,
                _change_text(ev),
                ev.reason,
            )
            for ev in events[:MAX_EVENTS_SHOWN]
        ),
    )
    header = format_html(
        "<tr><th>#</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        gettext("when (Caracas)"),
        gettext("action"),
        gettext("by"),
        gettext("change"),
        gettext("reason"),
    )
    note = format_html("<p><small>{}</small></p>", gettext("Older events omitted.")) if more else ""
    return format_html('<table class="audit-events">{}{}</table>{}', header, rows, note)


def _change_text(event) -> str:
    meta = event.metadata or {}
    if event.action == TRANSACTION_COMMENTED:
        return gettext("note")
    if event.action == TRANSACTION_ASSIGNED:
        return gettext("taken by %(who)s") % {"who": (event.after or {}).get("assigned_to", "")}
    if event.action == TRANSACTION_RELEASED:
        return gettext("released")
    if meta.get("from_status") and meta.get("to_status"):
        return f"{meta['from_status']} → {meta['to_status']}"
    if event.after:
        keys = ", ".join(sorted(event.after))[:120]
        return keys
    return ""


# --- bank answer explanation ---------------------------------------------------------------------

ROW_VERDICTS = {
    "": _("supports the claim"),
    ReasonCode.REFERENCE_MISMATCH: _("different reference"),
    ReasonCode.DEBIT: _("not a credit (debit)"),
    ReasonCode.CURRENCY_MISMATCH: _("not in bolívares"),
    ReasonCode.AMOUNT_MISMATCH: _("different amount"),
}


def explain_bank_answer(obj: Transaction):
    """A human summary of the deciding look-up: the bank's status, each row, and whether it supports
    the claim and why not (the same `transactions.matching` that took the decision)."""
    evidence = bank_evidence(obj)
    parts = []
    if obj.status_reason:
        parts.append(format_html("<p><strong>{}</strong> {}</p>", gettext("Why:"), obj.status_reason))
    if evidence is None:
        parts.append(format_html("<p>{}</p>", gettext("The bank has not answered for this claim yet.")))
        return mark_safe("".join(str(p) for p in parts))  # noqa: S308 - every part is format_html-escaped
    parts.append(
        format_html(
            "<p>{} <code>{}</code> {}</p>",
            gettext("Bank status:"),
            evidence.status_code,
            evidence.status_desc,
        )
    )
    if not evidence.rows:
        parts.append(format_html("<p>{}</p>", gettext("No transaction rows in the answer.")))
        return mark_safe("".join(str(p) for p in parts))  # noqa: S308
    body = []
    for i, (row, verdict) in enumerate(zip(evidence.rows, evidence.verdicts, strict=True), start=1):
        body.append(
            format_html(
                '<tr class="{}"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>'
                "<td>{} {}</td><td>{}</td><td>{}</td></tr>",
                "row-miss" if verdict else "row-match",
                i,
                row.reference,
                row.trn_type,
                "" if row.amount is None else f"{row.amount:.2f}",
                row.currency,
                row.trn_date.isoformat() if row.trn_date else "",
                row.trn_time,
                row.concept,
                ROW_VERDICTS.get(verdict, verdict),
            )
        )
    if len(evidence.rows) > 1:
        parts.append(
            format_html(
                "<p>{}</p>",
                gettext("%(n)d candidate rows: a person must decide which one (if any) is this payment.")
                % {"n": len(evidence.rows)},
            )
        )
    claimed = format_ves(obj.amount) if obj.amount is not None else gettext("no amount claimed")
    header = format_html(
        "<tr><th>#</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        gettext("reference"),
        gettext("type"),
        gettext("amount"),
        gettext("currency"),
        gettext("date"),
        gettext("concept"),
        gettext("verdict (claim: %(amount)s)") % {"amount": claimed},
    )
    parts.append(format_html('<table class="bank-rows">{}{}</table>', header, mark_safe("".join(body))))  # noqa: S308
    return mark_safe("".join(str(p) for p in parts))  # noqa: S308 - parts built with format_html
