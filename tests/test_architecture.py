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
