"""The dependency direction (DESIGN.md section 2): config ← accounts ← audit ← banking ← transactions.

Walks every module of the five apps with `ast` and fails on an import that points up the order
(e.g. banking → transactions, config → any app), on a project import inside a function (the sign
of a dodged cycle; only `AppConfig.ready`, Django's idiom, may import there), and on a module
longer than 400 lines.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ORDER = ("config", "accounts", "audit", "banking", "transactions")  # each may import those before it
MAX_LINES = 400


def modules():
    for app in ORDER:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield app, path


def imported_apps(node: ast.AST):
    """(project app, line) for each import statement in `node`."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        names = [node.module]
    else:
        return []
    return [(name.split(".")[0], node.lineno) for name in names if name.split(".")[0] in ORDER]


def arrows():
    for app, path in modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            for target, line in imported_apps(node):
                yield app, target, path.relative_to(ROOT), line


def forbidden(app: str, target: str) -> bool:
    return ORDER.index(target) > ORDER.index(app)


def test_the_walker_sees_the_allowed_arrows():
    seen = {(a, t) for a, t, _, _ in arrows()}
    assert {("transactions", "banking"), ("banking", "config"), ("audit", "accounts")} <= seen
    assert forbidden("banking", "transactions") and forbidden("config", "accounts")
    assert not forbidden("transactions", "config")


def test_no_import_points_up_the_dependency_order():
    bad = [
        f"{path}:{line}: {app} → {target}" for app, target, path, line in arrows() if forbidden(app, target)
    ]
    assert not bad, "forbidden arrows:\n" + "\n".join(bad)


def _function_level_imports(tree: ast.Module):
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(func):
            for target, line in imported_apps(node):
                yield func.name, target, line


def test_no_project_import_inside_a_function():
    bad = []
    for _app, path in modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for func, target, line in _function_level_imports(tree):
            if path.name == "apps.py" and func == "ready":
                continue  # Django's idiom for connecting signals once the registry is ready
            if path.name == "gunicorn.conf.py":
                continue  # read by gunicorn's master before Django is set up; not an app module
            bad.append(f"{path.relative_to(ROOT)}:{line}: import of {target} inside {func}()")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("app", ORDER)
def test_no_module_over_400_lines(app):
    long = [
        f"{path.relative_to(ROOT)}: {n} lines"
        for a, path in modules()
        if a == app and (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    ]
    assert not long, long
