"""Spanish catalogues: complete, not fuzzy, compiled, and actually used by the admin.

The product's language is Spanish (LANGUAGE_CODE="es"); English stays available. Catalogues:
locale/es/LC_MESSAGES/django.po (everything outside transactions/) and
transactions/locale/es/LC_MESSAGES/django.po. Regenerate with
`manage.py makemessages -l es --ignore=.venv --ignore=bench --ignore=tests --ignore=staticfiles`,
translate, then `manage.py compilemessages --ignore=.venv`.
"""

from __future__ import annotations

import ast
import gettext as pygettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

BASE_DIR = Path(settings.BASE_DIR)
# Same scope as the makemessages command above (plus makemessages' own defaults: hidden dirs).
SKIP_DIRS = {".venv", "bench", "tests", "staticfiles", "node_modules", "__pycache__"}
PLACEHOLDER = re.compile(r"%\([^)]+\)[sdif]|%[sdif]|\{[^{}]*\}")


# --- a minimal .po reader (polib is not a dependency) --------------------------------------------


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False
    line: int = 0


def read_po(path: Path) -> list[Entry]:
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int] | None = None

    def start(lineno: int) -> Entry:
        nonlocal entry
        entry = Entry(line=lineno)
        entries.append(entry)
        return entry

    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            entry, target = None, None
            continue
        if line.startswith("#~"):
            (entry or start(lineno)).obsolete = True
            continue
        if line.startswith("#,"):
            (entry or start(lineno)).flags |= {f.strip() for f in line[2:].split(",") if f.strip()}
            continue
        if line.startswith("#"):
            entry or start(lineno)
            continue
        match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(".*")$', line)
        if match:
            keyword, index, literal = match.groups()
            current = entry or start(lineno)
            value = ast.literal_eval(literal)
            if keyword == "msgstr":
                target = ("msgstr", int(index or 0))
                current.msgstr[target[1]] = value
            else:
                target = (keyword, 0)
                setattr(current, keyword, value)
            continue
        if line.startswith('"') and entry is not None and target is not None:
            value = ast.literal_eval(line)
            if target[0] == "msgstr":
                entry.msgstr[target[1]] += value
            else:
                setattr(entry, target[0], (getattr(entry, target[0]) or "") + value)
            continue
        raise AssertionError(f"{path}:{lineno}: cannot parse {raw!r}")
    return entries


def project_po_files() -> list[Path]:
    files = []
    for path in sorted(BASE_DIR.rglob("*.po")):
        parts = path.relative_to(BASE_DIR).parts
        if any(p in SKIP_DIRS or p.startswith(".") for p in parts):
            continue
        files.append(path)
    return files


PO_FILES = project_po_files()
CATALOGUES = {path: read_po(path) for path in PO_FILES}


def live(entries: list[Entry]) -> list[Entry]:
    return [e for e in entries if not e.obsolete and e.msgid != ""]


def _rel(path: Path) -> str:
    return str(path.relative_to(BASE_DIR))


# --- catalogue hygiene -----------------------------------------------------------------------------


def test_the_expected_catalogues_exist():
    names = {_rel(p) for p in PO_FILES}
    assert "locale/es/LC_MESSAGES/django.po" in names
    assert "transactions/locale/es/LC_MESSAGES/django.po" in names
    for path in PO_FILES:
        assert live(CATALOGUES[path]), f"{_rel(path)} has no entries"


@pytest.mark.parametrize("path", PO_FILES, ids=_rel)
def test_header_is_valid_and_not_fuzzy(path):
    header = next(e for e in CATALOGUES[path] if e.msgid == "" and not e.obsolete)
    assert "fuzzy" not in header.flags, f"{_rel(path)}: the header is fuzzy (msgfmt would drop it)"
    text = header.msgstr[0]
    assert "charset=UTF-8" in text
    assert "Plural-Forms: nplurals=2;" in text
    if "/es/" in str(path):
        assert "Language: es\n" in text


@pytest.mark.parametrize("path", PO_FILES, ids=_rel)
def test_no_entry_is_empty_or_fuzzy(path):
    problems = []
    for e in live(CATALOGUES[path]):
        if "fuzzy" in e.flags:
            problems.append(f"line {e.line}: fuzzy: {e.msgid!r}")
        expected = 2 if e.msgid_plural is not None else 1
        if len(e.msgstr) != expected or not all(s.strip() for s in e.msgstr.values()):
            problems.append(f"line {e.line}: untranslated: {e.msgid!r}")
    assert not problems, f"{_rel(path)}:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", PO_FILES, ids=_rel)
def test_placeholders_are_kept(path):
    problems = []
    for e in live(CATALOGUES[path]):
        for index, text in e.msgstr.items():
            source = e.msgid_plural if (index > 0 and e.msgid_plural) else e.msgid
            if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(text)):
                problems.append(f"line {e.line}: {source!r} -> {text!r}")
    assert not problems, f"{_rel(path)}:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", PO_FILES, ids=_rel)
def test_mo_is_compiled_from_the_current_po(path):
    mo = path.with_suffix(".mo")
    assert mo.exists(), f"run compilemessages: {_rel(mo)} is missing"
    with mo.open("rb") as handle:
        compiled = pygettext.GNUTranslations(handle)
    stale = []
    for e in live(CATALOGUES[path]):
        key = f"{e.msgctxt}\x04{e.msgid}" if e.msgctxt is not None else e.msgid
        if e.msgid_plural is None:
            got = compiled._catalog.get(key)
            if got != e.msgstr.get(0):
                stale.append(e.msgid)
        elif [compiled._catalog.get((key, i)) for i in sorted(e.msgstr)] != [
            e.msgstr[i] for i in sorted(e.msgstr)
        ]:
            stale.append(e.msgid)
    assert not stale, f"{_rel(mo)} is stale; run compilemessages. Differs: {stale[:10]}"


def test_a_string_in_two_catalogues_has_one_translation():
    """LOCALE_PATHS wins over app catalogues, so a msgid must read the same in both."""
    seen: dict[tuple[str | None, str], tuple[str, str]] = {}
    clashes = []
    for path, entries in CATALOGUES.items():
        for e in live(entries):
            key = (e.msgctxt, e.msgid)
            text = e.msgstr.get(0, "")
            if key in seen and seen[key][1] != text:
                clashes.append(f"{e.msgid!r}: {seen[key][0]} {seen[key][1]!r} vs {_rel(path)} {text!r}")
            seen.setdefault(key, (_rel(path), text))
    assert not clashes, "\n".join(clashes)


# --- every translatable string in the code is in a catalogue ---------------------------------------

GETTEXT_NAMES = {
    "_",
    "gettext",
    "gettext_lazy",
    "gettext_noop",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
    "npgettext_lazy",
}
TEMPLATE_CALL = re.compile(
    r"\b(_|gettext|ngettext|pgettext|npgettext)\((u?'(?:[^'\\]|\\.)*')(?:,\s*(u?'(?:[^'\\]|\\.)*'))?"
)


def _source_files(suffixes: tuple[str, ...]):
    for path in sorted(BASE_DIR.rglob("*")):
        parts = path.relative_to(BASE_DIR).parts
        if any(p in SKIP_DIRS or p.startswith(".") for p in parts[:-1]) or path.suffix not in suffixes:
            continue
        if path.is_file():
            yield path


def source_msgids() -> set[tuple[str | None, str, str]]:
    from django.utils.translation.template import templatize

    found = set()
    for path in _source_files((".py",)):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name not in GETTEXT_NAMES:
                continue
            args = [
                a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None
                for a in node.args
            ]
            context = None
            if name.startswith(("pgettext", "npgettext")):
                context, args = args[0], args[1:]
            if args and args[0]:
                found.add((context, args[0], _rel(path)))
    for path in _source_files((".html", ".txt")):
        if "templates" not in path.parts:
            continue
        text = templatize(path.read_text(encoding="utf-8"), origin=str(path))
        for match in TEMPLATE_CALL.finditer(text):
            name, first, second = match.groups()
            first = ast.literal_eval(first)
            if name.startswith(("pgettext", "npgettext")):
                found.add((first, ast.literal_eval(second), _rel(path)))
            else:
                found.add((None, first, _rel(path)))
    return found


def test_every_source_string_is_in_a_catalogue():
    known = {(e.msgctxt, e.msgid) for entries in CATALOGUES.values() for e in live(entries)}
    sources = source_msgids()
    assert len(sources) > 100  # the scan really ran over the project
    missing = sorted(f"{where}: {msgid!r}" for ctx, msgid, where in sources if (ctx, msgid) not in known)
    assert not missing, "not in any catalogue (run makemessages, translate, compilemessages):\n" + "\n".join(
        missing
    )


# --- behaviour: the admin speaks Spanish by default and English on request --------------------------


def test_admin_strings_follow_the_active_language():
    from django.utils.translation import gettext

    from transactions.admin_forms import DECISIONS, DecisionForm

    with translation.override("es"):
        assert gettext("Review queue (TO_REVIEW)") == "Cola de revisión (TO_REVIEW)"
        assert str(DecisionForm().fields["reason"].label) == "Motivo"
        assert str(DECISIONS["approve"].label) == "Aprobar (→ Completado)"
        assert str(DECISIONS["reverify"].verb) == "Reverificar"
        assert gettext("Too many failed logins") == "Demasiados intentos fallidos de inicio de sesión"
        # a services message from the pre-existing transactions catalogue still works
        assert gettext("Payment claim not found.") == "Reclamo de pago no encontrado."
    with translation.override("en"):
        assert gettext("Review queue (TO_REVIEW)") == "Review queue (TO_REVIEW)"
        assert str(DecisionForm().fields["reason"].label) == "Reason"
        assert str(DECISIONS["approve"].label) == "Approve (→ Completed)"
        assert str(DECISIONS["reverify"].verb) == "Re-verify"


def test_plural_forms_in_spanish():
    from django.utils.translation import ngettext

    singular = "%(n)s claim will change as shown below."
    plural = "%(n)s claims will change as shown below."
    with translation.override("es"):
        assert (
            ngettext(singular, plural, 1) % {"n": 1} == "1 reclamo cambiará como se muestra a continuación."
        )
        assert (
            ngettext(singular, plural, 3) % {"n": 3} == "3 reclamos cambiarán como se muestra a continuación."
        )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("accept_language", "expected", "unexpected"),
    [
        (None, "Cola de revisión (TO_REVIEW)", "Review queue (TO_REVIEW)"),  # LANGUAGE_CODE = "es"
        ("es", "Cola de revisión (TO_REVIEW)", "Review queue (TO_REVIEW)"),
        ("en", "Review queue (TO_REVIEW)", "Cola de revisión (TO_REVIEW)"),
    ],
)
def test_changelist_is_rendered_in_the_requested_language(
    reconciler_user, accept_language, expected, unexpected
):
    headers = {"HTTP_ACCEPT_LANGUAGE": accept_language} if accept_language else {}
    client = Client(**headers)
    client.force_login(reconciler_user)
    html = client.get(reverse("admin:transactions_transaction_changelist")).content.decode()
    assert expected in html
    assert unexpected not in html
