"""The reconciler workbench on a claim's admin page (issue 17, part A).

* `search`: search the bank from the claim (same client, budget and per-claim limit as verification).
* `approve`: "approve with this row" (one transition, the row and the search in its audit event).
* `assignment`: take / release / next claim, and the check before someone else's claim is decided.
* `notes`: reconcilers' notes (`transaction.commented` audit events, append-only).
* `selectors`: claim vs bank row side by side, found rows, previous look-ups, plain-words reasons.
* `forms`, `views`: the admin's forms and thin POST handlers (hooked in transactions/admin/workbench.py).

Nothing is imported here: `transactions.services` imports `assignment`, which must stay light.
"""
