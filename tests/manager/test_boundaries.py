"""The manager profile is a translation layer: it reaches the domain only through services and
selectors (the same ones as the main API) and never writes a model itself."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROFILE_PACKAGES = ("accounts/api/manager", "transactions/api/manager")
PROJECT_APPS = {"accounts", "audit", "banking", "transactions", "config"}
# Besides services/selectors and `config`: the main API's filterset (the one list query) and its
# login input serializer and bearer challenge (the same login).
ALLOWED_MODULES = {
    "transactions.api.filters",
    "accounts.api.serializers",
    "accounts.api.views",
    "transactions.verification_queue",  # the re-verify request (claim_request_verification): no bank call
}
WRITE_CALLS = {
    "save",
    "delete",
    "update",
    "create",
    "bulk_create",
    "bulk_update",
    "get_or_create",
    "update_or_create",
    "select_for_update",
    "refresh_from_db",
}


def _allowed(module: str) -> bool:
    parts = module.split(".")
    if parts[0] not in PROJECT_APPS:
        return True  # Django, DRF, the standard library
    if parts[0] == "config":
        return True
    if parts[-1] in {"services", "selectors"}:
        return True
    if module.startswith(("accounts.api.manager", "transactions.api.manager")):
        return True
    return module in ALLOWED_MODULES


def violations(source: str, filename: str = "<src>") -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if not _allowed(a.name)]
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                module = node.module
                # `from transactions import services` names a module; `from x.models import Y` a model
                target = f"{module}.{alias.name}" if module in PROJECT_APPS else module
                if not _allowed(target):
                    found.append(f"from {module} import {alias.name}")
        elif isinstance(node, ast.Attribute):
            if node.attr == "objects":
                found.append(f"line {node.lineno}: .objects")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in WRITE_CALLS
        ):
            found.append(f"line {node.lineno}: .{node.func.attr}()")
    return found


def _profile_files():
    files = sorted(p for package in PROFILE_PACKAGES for p in (ROOT / package).glob("*.py"))
    assert len(files) >= 6, files
    return files


@pytest.mark.parametrize("path", _profile_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_profile_module_imports_only_services_and_selectors(path):
    assert violations(path.read_text(), str(path)) == []


def test_the_checker_catches_model_imports_and_writes():
    bad = (
        "from transactions.models import Transaction\n"
        "import banking.models\n"
        "from transactions import validators\n"
        "Transaction.objects.filter(pk=1).update(status='X')\n"
        "claim.save()\n"
    )
    found = violations(bad)
    assert "from transactions.models import Transaction" in found
    assert "import banking.models" in found
    assert "from transactions import validators" in found
    assert any(".objects" in f for f in found) and any(".update()" in f for f in found)
    assert any(".save()" in f for f in found)
    good = "from transactions import selectors, services\nfrom config.errors import NotFound\n"
    assert violations(good) == []
