"""Forms of the claim page's workbench: search the bank, approve with a row, notes, take."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from banking.client import INTERBANK, MOBILE, TRANSFER
from transactions.banks import BANKS
from transactions.models import Status
from transactions.workbench.notes import MAX_NOTE_LENGTH
from transactions.workbench.search import SearchParams, max_range_days

PHONE_RE = re.compile(r"^(04\d{9}|584\d{9})$")
MODE_CHOICES = (
    (MOBILE, _("Pago móvil")),
    (TRANSFER, _("Banesco → Banesco transfer")),
    (INTERBANK, _("Interbank transfer (another bank → Banesco)")),
)
CONFIRM_TAKEOVER_LABEL = _("I know another reconciler is working this claim: act anyway")


class SearchForm(forms.Form):
    mode = forms.ChoiceField(label=_("Search mode"), choices=MODE_CHOICES)
    reference = forms.CharField(
        label=_("Reference"),
        max_length=20,
        help_text=_("Full reference, or its last 6 digits (pago móvil and interbank use the last 6)."),
    )
    phone = forms.CharField(label=_("Payer phone"), max_length=14, required=False, help_text="04XXXXXXXXX")
    bank_id = forms.ChoiceField(label=_("Payer bank"), choices=[(c, f"{c} {n}") for c, n in BANKS.items()])
    date_from = forms.DateField(
        label=_("Date (from)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    date_to = forms.DateField(
        label=_("Date (to, optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("A range is looked up day by day: each day counts as one look-up."),
    )

    def clean_reference(self):
        digits = "".join(ch for ch in self.cleaned_data["reference"] if ch.isdigit())
        if len(digits) < 6:
            raise forms.ValidationError(_("Give at least the last 6 digits of the reference."))
        return digits

    def clean_phone(self):
        phone = "".join(ch for ch in self.cleaned_data.get("phone", "") if ch.isdigit())
        if phone and not PHONE_RE.match(phone):
            raise forms.ValidationError(_("A Venezuelan mobile number: 04XXXXXXXXX."))
        return phone

    def clean(self):
        data = super().clean()
        mode = data.get("mode")
        if mode == MOBILE and not data.get("phone"):
            self.add_error("phone", _("Pago móvil searches need the payer's phone."))
        if mode in (MOBILE, INTERBANK) and not data.get("date_from"):
            self.add_error("date_from", _("This search needs the payment date."))
        start, end = data.get("date_from"), data.get("date_to")
        if start and end:
            if end < start:
                self.add_error("date_to", _("The range ends before it starts."))
            elif (end - start).days + 1 > max_range_days():
                self.add_error("date_to", _("At most %(n)d days.") % {"n": max_range_days()})
        return data

    def params(self) -> SearchParams:
        d = self.cleaned_data
        return SearchParams(
            mode=d["mode"],
            reference=d["reference"],
            bank_id=d["bank_id"],
            phone=d.get("phone") or "",
            date_from=d.get("date_from"),
            date_to=d.get("date_to"),
        )


class ApproveRowForm(forms.Form):
    lookup_id = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    row_index = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    search_ids = forms.CharField(widget=forms.HiddenInput, required=False, max_length=400)
    expected_status = forms.ChoiceField(widget=forms.HiddenInput, choices=Status.choices)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        error_messages={"required": _("A reason is required.")},
    )
    confirm_takeover = forms.BooleanField(label=CONFIRM_TAKEOVER_LABEL, required=False)

    def search_lookup_ids(self) -> list[int]:
        return [int(v) for v in (self.cleaned_data.get("search_ids") or "").split(",") if v.strip().isdigit()]


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Note"),
        max_length=MAX_NOTE_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        help_text=_("Notes are kept in the history and cannot be edited or deleted."),
        error_messages={"required": _("A note cannot be empty.")},
    )


class TakeForm(forms.Form):
    confirm_takeover = forms.BooleanField(label=CONFIRM_TAKEOVER_LABEL, required=False)
