"""The house's shape: no module imports itself back, however indirectly.

The layer contracts are in .importlinter (run by `lint-imports` in .ci/run); this test adds
what they do not say: no import cycles among planbot's modules, counting imports inside
functions and under `TYPE_CHECKING` (grimp reads every import statement).
"""

from __future__ import annotations

from pathlib import Path

import grimp
import pytest

PACKAGES = ("bot", "handlers", "jobs", "storage")


def import_cycles(*packages: str) -> list[tuple[str, ...]]:
    """Each pair of modules that import each other, directly or through others."""
    graph = grimp.build_graph(*packages, cache_dir=None)
    return sorted(
        {
            tuple(sorted((importer, imported)))
            for importer in graph.modules
            for imported in graph.find_modules_directly_imported_by(importer)
            if graph.chain_exists(importer=imported, imported=importer)
        }
    )


def test_no_module_imports_itself_back() -> None:
    cycles = import_cycles(*PACKAGES)
    assert cycles == [], "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


@pytest.mark.parametrize(
    "hidden",
    [
        "def later() -> None:\n    from cyclic import a  # noqa\n",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from cyclic import a\n",
    ],
    ids=["deferred", "type-checking"],
)
def test_a_cycle_hidden_in_a_function_or_type_checking_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hidden: str
) -> None:
    package = tmp_path / "cyclic"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from cyclic import b\n")
    (package / "b.py").write_text(hidden)
    (package / "c.py").write_text("from cyclic import a\n")  # one way only: no cycle
    monkeypatch.syspath_prepend(str(tmp_path))
    assert import_cycles("cyclic") == [("cyclic.a", "cyclic.b")]


# -- Slack's SDKs: public API only -------------------------------------------------------------

SLACK_PACKAGES = ("slack_bolt", "slack_sdk")
SOURCES = ("bot", "handlers", "jobs", "storage", "tests", "bench")
PATCHERS = {"setattr", "patch", "object", "delattr", "setitem"}


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _from_slack(module: str | None) -> bool:
    return module is not None and module.split(".")[0] in SLACK_PACKAGES


def private_slack_uses(source: str) -> list[str]:
    """Where `source` imports a private name of Slack's SDKs (a module or a name starting
    with `_`), reaches one through a name it imported from them, or patches anything of
    them (`monkeypatch.setattr`, `mock.patch`, `setattr` on it or on a dotted string)."""
    import ast

    tree = ast.parse(source)
    slack_names: set[str] = set()
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _from_slack(alias.name):
                    slack_names.add((alias.asname or alias.name).split(".")[0])
                    if any(_private(part) for part in alias.name.split(".")):
                        found.append(f"line {node.lineno}: import {alias.name}")
        elif isinstance(node, ast.ImportFrom) and _from_slack(node.module):
            assert node.module is not None
            for alias in node.names:
                slack_names.add(alias.asname or alias.name)
                parts = [*node.module.split("."), alias.name]
                if any(_private(part) for part in parts):
                    found.append(f"line {node.lineno}: from {node.module} import {alias.name}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            base: ast.expr = node.value
            while isinstance(base, ast.Attribute):
                base = base.value
            if isinstance(base, ast.Name) and base.id in slack_names:
                found.append(f"line {node.lineno}: {base.id}...{node.attr}")
        if isinstance(node, ast.Call) and node.args:
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called not in PATCHERS:
                continue
            target = node.args[0]
            named = isinstance(target, ast.Name) and target.id in slack_names
            dotted = (
                isinstance(target, ast.Constant)
                and isinstance(target.value, str)
                and target.value.split(".")[0] in SLACK_PACKAGES
            )
            if named or dotted:
                found.append(f"line {node.lineno}: {called}() patches Slack's SDK")
    return found


def test_nothing_imports_or_patches_a_private_name_of_slacks_sdks() -> None:
    root = Path(__file__).resolve().parent.parent
    found = {
        str(path.relative_to(root)): uses
        for folder in SOURCES
        for path in sorted((root / folder).rglob("*.py"))
        if (uses := private_slack_uses(path.read_text(encoding="utf-8")))
    }
    assert found == {}


@pytest.mark.parametrize(
    "source",
    [
        "from slack_bolt.listener.thread_runner import ThreadListenerRunner as _R\n"
        "from slack_bolt.app import _helpers\n",
        "import slack_sdk._private\n",
        "from slack_bolt import App\nApp._listener_runner = None\n",
        "import slack_bolt\nslack_bolt.app.app._x\n",
        "def t(monkeypatch):\n    monkeypatch.setattr('slack_sdk.web.base_client.X', 1)\n",
        "from slack_sdk import WebClient\nfrom unittest import mock\n"
        "mock.patch.object(WebClient, 'api_call')\n",
    ],
    ids=[
        "private name",
        "private module",
        "private attribute",
        "through the module",
        "patch by path",
        "patch by object",
    ],
)
def test_the_slack_check_finds_what_it_forbids(source: str) -> None:
    assert private_slack_uses(source) != []


def test_the_slack_check_lets_public_api_through() -> None:
    source = (
        "from slack_bolt import App, BoltRequest\n"
        "from slack_sdk.errors import SlackApiError\n"
        "app = App(process_before_response=True)\n"
        "app.dispatch(BoltRequest(body={}, mode='socket_mode'))\n"
        "print(SlackApiError.__name__)\n"
    )
    assert private_slack_uses(source) == []
