"""The sandbox plays Discord, so it imports nothing of the bot; its modules import lower ones only (no cycles)."""

from __future__ import annotations

import ast
import graphlib

from tests.conftest import ROOT

SANDBOX = ROOT / "bot" / "sandbox"


def _imports() -> dict[str, set[str]]:
    """Each sandbox module -> the `bot...` modules it imports (type-checking-only imports included)."""
    found: dict[str, set[str]] = {}
    for path in SANDBOX.glob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                names |= {
                    f"{node.module}.{alias.name}" if node.module == "bot.sandbox" else node.module
                    for alias in node.names
                }
        found[f"bot.sandbox.{path.stem}"] = {n for n in names if n == "bot" or n.startswith("bot.")}
    return found


def test_the_sandbox_imports_nothing_of_the_bot() -> None:
    outside = {
        module: sorted(n for n in names if not n.startswith("bot.sandbox.")) for module, names in _imports().items()
    }
    assert {module: names for module, names in outside.items() if names} == {}


def test_sandbox_modules_import_lower_ones_only() -> None:
    graph = {module: {n for n in names if n.startswith("bot.sandbox.")} for module, names in _imports().items()}
    graphlib.TopologicalSorter(graph).prepare()  # raises CycleError on a cycle
    assert [m for m, names in graph.items() if "bot.sandbox.server" in names] == []  # the top: it wires the others
