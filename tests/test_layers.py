"""The import graph of src/fanlens: no circle between modules, few imports pointing up.

Layers, from the bottom up; each module belongs to exactly one:

0. kit: `fanlens.config` and `fanlens.kit.*` (settings, pagination, CLI helpers, lock ids,
   the HTTP client, ...).
1. db: `fanlens.db.*` (engine, embedded PostgreSQL, the job queue's table side, migrations).
2. domains: every other package (`content`, `audience`, `scoring`, `outreach`, ...).
3. faces: `fanlens.cli`, `fanlens.__main__`, `fanlens.models` (the registry of every domain's
   tables), the packages `api`, `web`, `server` and `jobs`, and each package's own faces, its
   `cli`, `endpoints` and `pages` modules.

An upward import is a module importing a module of a higher layer; each distinct
(importer, imported) pair counts once. Imports under `if TYPE_CHECKING:` count too. The
contracts in .importlinter (run by `make lint`) say the same in import-linter's terms.
"""

from __future__ import annotations

from functools import cache

import grimp
import pytest

MAX_UPWARD = 25
FACE_PACKAGES = frozenset({"api", "web", "server", "jobs"})
FACE_MODULES = frozenset({"cli", "endpoints", "pages"})
KIT, DB, DOMAINS, FACES = range(4)


def layer(module: str) -> int:
    parts = module.split(".")[1:]  # without the leading "fanlens"
    if not parts or parts[0] in ("cli", "__main__", "models") or parts[0] in FACE_PACKAGES:
        return FACES
    if parts[0] in ("kit", "config"):
        return KIT
    if len(parts) == 2 and parts[1] in FACE_MODULES:
        return FACES
    return DB if parts[0] == "db" else DOMAINS


@cache
def imports() -> frozenset[tuple[str, str]]:
    graph = grimp.build_graph("fanlens", cache_dir=None)
    return frozenset(
        (importer, imported)
        for importer in graph.modules
        for imported in graph.find_modules_directly_imported_by(importer)
    )


def circles(edges: frozenset[tuple[str, str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    successors: dict[str, list[str]] = {}
    for importer, imported in sorted(edges):
        successors.setdefault(importer, []).append(imported)
        successors.setdefault(imported, [])
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in successors:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, child = work.pop()
            if child == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            if child < len(successors[node]):
                work.append((node, child + 1))
                nxt = successors[node][child]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
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
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return found


def test_no_module_is_part_of_an_import_circle() -> None:
    assert circles(imports()) == []


def test_few_imports_point_up_the_layers() -> None:
    upward = sorted((a, b) for a, b in imports() if layer(a) < layer(b))
    assert len(upward) <= MAX_UPWARD, "\n".join(f"{a} -> {b}" for a, b in upward)


@pytest.mark.parametrize(
    ("module", "expected"),
    [
        ("fanlens.kit.pagination", KIT),
        ("fanlens.config", KIT),
        ("fanlens.db.queue", DB),
        ("fanlens.scoring.service", DOMAINS),
        ("fanlens.scoring.cli", FACES),
        ("fanlens.server.app", FACES),
        ("fanlens.models", FACES),
    ],
)
def test_layer_of_a_module(module: str, expected: int) -> None:
    assert layer(module) == expected


def test_circles_finds_a_circle() -> None:
    edges = frozenset({("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")})
    assert circles(edges) == [["a", "b", "c"]]
