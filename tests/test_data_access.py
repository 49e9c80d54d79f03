"""The data-access rule (docs/architecture.md), checked over src/ with `ast`: SQL is built and
run only in repositories (`repository.py`, `*_repository.py`), in db/ (engine, migrations, the
job queue's schema) and in kit/sql.py (the compile-once statements and export streams).
Models may use `text()` for server defaults and index predicates."""

from __future__ import annotations

import ast
import inspect
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "fanlens"

BUILDERS = {"text", "select", "insert", "update", "delete"}  # from sqlalchemy (any submodule)
EXECUTORS = {"execute", "exec_driver_sql", "scalar", "scalars"}  # method calls
KIT_SQL = {"DriverStatement", "driver_connection", "stream"}  # from fanlens.kit.sql


def _owns_sql(rel: Path) -> bool:
    return (
        rel.name == "repository.py"
        or rel.name.endswith("_repository.py")
        or rel.parts[0] == "db"
        or rel.as_posix() == "kit/sql.py"
    )


def _imported(tree: ast.Module) -> tuple[dict[str, str], set[str]]:
    """Local names bound to SQL builders or kit.sql's executors, and aliases of sqlalchemy."""
    names: dict[str, str] = {}
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            top = node.module.split(".")[0]
            wanted = BUILDERS if top == "sqlalchemy" else set()
            if node.module == "fanlens.kit.sql":
                wanted = KIT_SQL
            for alias in node.names:
                if alias.name in wanted:
                    names[alias.asname or alias.name] = alias.name
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "sqlalchemy":
                    modules.add(alias.asname or alias.name.split(".")[0])
    return names, modules


def sql_calls(path: Path) -> Iterator[tuple[int, str]]:
    """(line, what) of each call that builds or runs SQL in the module."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names, modules = _imported(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in names:
            yield node.lineno, f"{names[func.id]}()"
        elif isinstance(func, ast.Attribute):
            owner = func.value.id if isinstance(func.value, ast.Name) else None
            if func.attr in EXECUTORS:
                yield node.lineno, f".{func.attr}()"
            elif func.attr in BUILDERS and owner in modules:
                yield node.lineno, f"{owner}.{func.attr}()"


def _offences(rel: Path, calls: list[tuple[int, str]]) -> list[str]:
    if rel.name == "models.py":  # schema declarations: server defaults, index predicates
        calls = [(line, what) for line, what in calls if what != "text()"]
    return [f"{rel}:{line}: {what}" for line, what in calls]


def test_sql_is_built_and_run_only_in_repositories() -> None:
    offences = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC)
        if not _owns_sql(rel):
            offences += _offences(rel, list(sql_calls(path)))
    assert not offences, "SQL outside a repository (move it into the domain's repository):\n" + (
        "\n".join(offences)
    )


def test_the_check_sees_sql_where_it_is() -> None:
    """The scan finds the calls it looks for, so the test above cannot pass by finding none."""
    seen = {what for what in _kinds(SRC / "sentiment" / "repository.py")}
    assert {"select()", "insert()", "text()", ".execute()", ".scalars()"} <= seen
    assert "DriverStatement()" in _kinds(SRC / "audience" / "repository.py")


def _kinds(path: Path) -> set[str]:
    return {what for _, what in sql_calls(path)}


def test_every_api_endpoint_reaches_the_database_one_way() -> None:
    """One endpoint style: token check, endpoint and commit in one thread hop (`in_one_hop`,
    mostly through `@workspace_endpoint`), the token's presence checked before the rest."""
    from fastapi import APIRouter
    from fastapi.routing import APIRoute

    from fanlens.api import router as api
    from fanlens.api.dependencies import bearer_token

    routers = [r for name, r in vars(api).items() if name.endswith("_router")]
    routes = [route for r in routers if isinstance(r, APIRouter) for route in r.routes]
    assert len(routers) >= 8 and routes
    for route in routes:
        assert isinstance(route, APIRoute)
        assert inspect.iscoroutinefunction(route.endpoint), route.name
        assert [d.call for d in route.dependant.dependencies if d.call is bearer_token], route.name
