"""Emails stored in their canonical form (accounts.emails: NFKC + casefold) under a plain unique
index, looked up by equality; replaces the `Lower(email)` functional unique constraint.

Forward: every row is rewritten to its canonical form first. Two rows that collapse to one form
(e.g. `ﬁ@x` and `fi@x`) cannot both keep their address; the migration then stops naming them, and
an operator decides which account keeps it (nothing is merged or renamed silently).

Reverse: the unique index goes back to the functional one; the rows keep their canonical form.
That is correct, not a loss: the canonical form is a valid address under the old scheme too (it is
lower case, so `Lower(email)` is unique exactly when it is), and the old spellings were never
meaningful (the old lookup was case-insensitive already).
"""

import unicodedata

from django.db import migrations, models


def _canonical(value):
    # A frozen copy of accounts.emails.canonical_email (migrations must not import app code that
    # may change later).
    text = unicodedata.normalize("NFKC", (value or "").strip())
    return unicodedata.normalize("NFKC", text.casefold())


def canonicalise(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    seen = {}
    rows = list(User.objects.using(schema_editor.connection.alias).values_list("pk", "email"))
    for pk, email in rows:
        seen.setdefault(_canonical(email), []).append((pk, email))
    clashes = {form: owners for form, owners in seen.items() if len(owners) > 1}
    if clashes:
        listing = "; ".join(f"{form!r}: {[e for _, e in owners]}" for form, owners in sorted(clashes.items()))
        raise RuntimeError(f"Users whose emails collapse to one canonical form (resolve first): {listing}")
    for form, [(pk, email)] in seen.items():
        if form != email:
            User.objects.using(schema_editor.connection.alias).filter(pk=pk).update(email=form)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_manager_role")]

    operations = [
        migrations.RunPython(canonicalise, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="user", name="accounts_user_email_ci_unique"),
        migrations.AlterField(
            model_name="user",
            name="email",
            field=models.EmailField(max_length=254, unique=True, verbose_name="email"),
        ),
    ]
