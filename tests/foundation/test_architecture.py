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


# --- no import cycle between modules -----------------------------------------------------------------
def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _module_level_imports(tree: ast.Module):
    """Import statements that run when the module is imported (not those inside functions)."""
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        stack.extend(child for child in ast.iter_child_nodes(node) if isinstance(child, ast.stmt))


def import_graph(sources: dict[str, str]) -> dict[str, set[str]]:
    """module -> project modules its import runs (`from a import b` counts `a.b` when it is a
    module). A module's import of its own parent packages is left out: Python runs a package's
    `__init__` before its submodules, so that arrow is the package's structure, not a dependency."""
    graph = {}
    for name, source in sources.items():
        targets = set()
        for node in _module_level_imports(ast.parse(source)):
            if isinstance(node, ast.Import):
                candidates = [alias.name for alias in node.names]
            elif node.level == 0 and node.module:
                candidates = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            else:
                candidates = []
            for candidate in candidates:
                parts = candidate.split(".")
                targets |= {".".join(parts[:i]) for i in range(1, len(parts) + 1)} & sources.keys()
        graph[name] = {t for t in targets if t != name and not name.startswith(t + ".")}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index, low, on_stack, stack, found, counter = {}, {}, set(), [], [], 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_cycle_through_a_package():
    sources = {
        "app": "",
        "app.reads": "from app import evidence\n",
        "app.evidence": "from app.policy.rows import match\n",
        "app.policy": "from app.policy.decide import decide\n",
        "app.policy.decide": "from app import reads\n",
        "app.policy.rows": "import decimal\n",
    }
    assert cycles(import_graph(sources)) == [["app.evidence", "app.policy", "app.policy.decide", "app.reads"]]
    sources["app.evidence"] = "from app.rows import match\n"  # the leaf moved below both
    sources["app.rows"] = sources.pop("app.policy.rows")
    assert cycles(import_graph(sources)) == []


def test_no_import_cycle_between_modules():
    """E.g. `transactions.selectors` reads evidence that must not import the verification, which
    reads through the selectors (a cycle makes the outcome depend on which module is imported first,
    as at admin autodiscovery)."""
    sources = {module_name(path): path.read_text(encoding="utf-8") for _app, path in modules()}
    graph = import_graph(sources)
    assert "transactions.selectors" in graph["transactions.verification.decision"]  # the walker sees it
    assert "transactions.matching" in graph["transactions.evidence"]
    assert cycles(graph) == []


# --- audit events are written by services, never by admin, views, API or commands ---------------------
# The audit write API: audit.services (record) and, for accounts (which cannot import audit),
# accounts.events.record, whose signal audit/signals.py turns into the same record() call.
AUDIT_WRITERS = ("audit.services", "accounts.events")


def is_presentation(path: Path) -> bool:
    """Admin, views, API and management commands: they call services and write nothing themselves."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return bool({"admin", "api", "management", "views"} & set(parts)) or parts[-1].startswith("admin")


def audit_writer_imports(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if a.name.startswith(AUDIT_WRITERS)]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                if f"{node.module}.{alias.name}".startswith(AUDIT_WRITERS) or node.module.startswith(
                    AUDIT_WRITERS
                ):
                    found.append(f"line {node.lineno}: from {node.module} import {alias.name}")
    return found


def test_the_audit_writer_finder_sees_each_spelling():
    for source in (
        "from audit import services as audit_services\n",
        "from audit.services import record\n",
        "import audit.services\n",
        "from accounts.events import record\n",
        "from accounts import events\n",
    ):
        assert audit_writer_imports(source), source
    assert audit_writer_imports("from audit.actions import ADMIN_ACTION\nfrom audit import selectors\n") == []
    assert is_presentation(ROOT / "transactions/admin_views.py")
    assert is_presentation(ROOT / "transactions/admin/claims.py")
    assert is_presentation(ROOT / "transactions/api/manager/views.py")
    assert is_presentation(ROOT / "accounts/management/commands/create_user.py")
    assert not is_presentation(ROOT / "transactions/services.py")


def test_admin_views_api_and_commands_write_audit_events_through_services():
    presentation = [path for _app, path in modules() if is_presentation(path)]
    assert (
        ROOT / "accounts/admin.py" in presentation and ROOT / "transactions/webhooks/admin.py" in presentation
    )
    bad = [
        f"{path.relative_to(ROOT)}: {found}"
        for path in presentation
        for found in audit_writer_imports(path.read_text(encoding="utf-8"))
    ]
    assert not bad, "call a service that writes the event:\n" + "\n".join(bad)
