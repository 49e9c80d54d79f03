"""Docs that cannot rot: README.md and docs/*.md are checked against the code they describe.

Every setting, CLI command, REST endpoint and dashboard page is documented in README.md; every
endpoint has its row in docs/architecture.md's table of where answers are computed; every link
and anchor resolves; every path under src/fanlens, benchmarks, tests and scripts, and every
`fanlens.module.name`, that the docs mention exists; README.md stays short; no page tells the
history of the work. Nothing here starts a server: the FastAPI app is built in-process and asked
for its OpenAPI document and routes.
"""

from __future__ import annotations

import ast
import importlib
import json
import re
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import typer.main
from fastapi.responses import HTMLResponse

from fanlens.api.schemas import API_PREFIX
from fanlens.cli import app
from fanlens.config import Settings
from fanlens.models import Base
from fanlens.server.app import create_app

ROOT = Path(__file__).parent.parent
README_PATH = ROOT / "README.md"
DOC_PATHS = [README_PATH, *sorted((ROOT / "docs").glob("*.md"))]
README = README_PATH.read_text(encoding="utf-8")
ARCHITECTURE = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
README_MAX_LINES = 700
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
APP = create_app()
SOURCE_DIRS = "src/fanlens|benchmarks|tests|scripts"

# Docs state what is true now; these phrases tell how it came to be.
HISTORY = [
    r"\b[Ss]essions? \d",
    r"\b[Rr]ound \d",
    r"\b[Pp]reviously\b",
    r"\b(?:[Tt]his|[Ll]ast|[Nn]ext|[Ee]arlier) (?:session|round)\b",
    r"\b[Ww]hat changed\b",
    r"\bnow faster\b",
    r"\b[Ff]or the record\b",
    r"\bwent from\b",
    r"\b[Mm]igration \d{4}\b",
]


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _prose(text: str) -> str:
    """The text without fenced code blocks (examples are not links or claims)."""
    return re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)


@cache
def _command_options(group: typer.Typer, prefix: str = "fanlens") -> dict[str, list[str]]:
    """Every leaf command of the CLI, with its options (each option's names, space-separated)."""
    found: dict[str, list[str]] = {}

    def walk(cmd: Any, path: str) -> None:
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in subs.items():
                walk(sub, f"{path} {name}")
            return
        options = [p for p in cmd.params if p.param_type_name == "option"]
        found[path] = [" ".join((*p.opts, *p.secondary_opts)) for p in options if p.name != "help"]

    walk(typer.main.get_command(group), prefix)
    return found


def _commands(group: typer.Typer) -> list[str]:
    return list(_command_options(group))


def _command_row(command: str) -> str:
    """The README's command-table cell that starts with this command."""
    cells = re.findall(r"^\| (`fanlens (?:[^|\\]|\\.)*)\|", README, flags=re.M)
    return " ".join(c for c in cells if re.match(re.escape(f"`{command}") + r"[ `]", c))


def _endpoint(method: str, path: str) -> str:
    """`GET content/{}`: the API prefix dropped and every path parameter written `{}`."""
    if path.startswith(API_PREFIX + "/"):
        path = path[len(API_PREFIX) + 1 :]
    return f"{method.upper()} {re.sub(r'{[^}]*}', '{}', path)}"


def _openapi_endpoints() -> list[str]:
    paths = APP.openapi()["paths"]
    return sorted(
        _endpoint(method, path)
        for path, operations in paths.items()
        for method in operations
        if method.upper() in METHODS
    )


def _documented_endpoints(text: str) -> set[str]:
    methods = "|".join(METHODS)
    spans = re.findall(rf"`((?:{methods}) [^`\s]+)`", text)
    return {_endpoint(*span.split(" ", 1)) for span in spans}


def _section(text: str, heading: str) -> str:
    start = text.index(heading)
    end = text.find("\n## ", start + len(heading))
    return text[start : end if end != -1 else None]


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"[`*_]|\[|\]\([^)]*\)", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


@cache
def _anchors(path: Path) -> frozenset[str]:
    headings = re.findall(r"^#{1,6} (.+)$", _prose(_text(path)), flags=re.M)
    return frozenset(_slug(h) for h in headings)


def _unknown_anchor(file: Path, anchor: str) -> bool:
    return bool(anchor) and file.suffix == ".md" and anchor not in _anchors(file)


def _links(path: Path) -> list[str]:
    return re.findall(r"\[[^\]]*\]\(([^)\s]+)\)", _prose(_text(path)))


def _resolves(name: str) -> bool:
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return False


def _routes(routes: list[Any]) -> Iterator[Any]:
    for route in routes:
        included = getattr(route, "original_router", None)
        yield from _routes(included.routes) if included is not None else [route]


def _pages() -> list[str]:
    """The dashboard's pages: GET routes under /analytics that answer HTML."""
    pages = set()
    for route in _routes(APP.routes):
        answers = getattr(route, "response_class", None)
        answers = getattr(answers, "value", answers)  # FastAPI's Default(...) wrapper
        if "GET" in getattr(route, "methods", ()) and answers is HTMLResponse:
            pages.add(re.sub(r"{[^}]*}", "{}", route.path))
    return sorted(p for p in pages if p.startswith("/analytics"))


ENDPOINTS = _openapi_endpoints()


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_every_setting_is_documented(field: str) -> None:
    assert f"`FANLENS_{field.upper()}`" in README


def _documented_default(field: str) -> str:
    rows = re.findall(r"^\| `FANLENS_(\w+)` \| ([^|]*) \|", README, flags=re.M)
    return dict(rows)[field.upper()].strip().strip("`")


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_every_setting_default_is_exact(field: str) -> None:
    info = Settings.model_fields[field]
    default = info.get_default(call_default_factory=True)
    documented = _documented_default(field)
    if default is None:
        assert documented == "unset"
    elif default == "":
        assert documented == "empty"
    elif isinstance(default, bool):
        assert documented == str(default).lower()
    elif isinstance(default, int | float):
        assert float(documented) == default
    else:
        assert documented == str(default)


@pytest.mark.parametrize("command", _commands(app))
def test_every_cli_command_is_documented(command: str) -> None:
    assert f"`{command}" in README


@pytest.mark.parametrize("command", _commands(app))
def test_every_cli_option_is_documented(command: str) -> None:
    """Each option by one of its names in the command's row; `--workspace` once for all."""
    row = _command_row(command)
    options = [o for o in _command_options(app)[command] if "--workspace" not in o.split()]
    assert [o for o in options if not any(name in row for name in o.split())] == []
    assert "`--workspace NAME` (`-w`)" in README


@pytest.mark.parametrize(
    "target", re.findall(r"^([\w-]+):.*## ", _text(ROOT / "Makefile"), flags=re.M)
)
def test_every_make_target_is_documented(target: str) -> None:
    assert f"`make {target}`" in README


def _schema_fields() -> list[str]:
    """Every property the shipped interchange JSON Schema names."""
    path = ROOT / "src" / "fanlens" / "interactions" / "interchange-v1.schema.json"
    fields: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            fields.update(node.get("properties", {}))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(_text(path)))
    return sorted(fields)


def _reject_reasons() -> list[str]:
    """The reasons the ingest pipeline gives: `Invalid(reason, …)` and `Reject(line, reason, …)`."""
    reasons: set[str] = set()
    for source in ("interchange.py", "ingest.py"):
        tree = ast.parse(_text(ROOT / "src" / "fanlens" / "interactions" / source))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                at = {"Invalid": 0, "Reject": 1}.get(node.func.id)
                arg = node.args[at] if at is not None and len(node.args) > at else None
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    reasons.add(arg.value)
    return sorted(reasons)


@pytest.mark.parametrize("field", _schema_fields())
def test_every_interchange_field_is_documented(field: str) -> None:
    assert f"`{field}`" in _section(README, "## Interchange format v1")


@pytest.mark.parametrize("reason", _reject_reasons())
def test_every_reject_reason_is_documented(reason: str) -> None:
    assert f"`{reason}`" in _section(README, "## Interchange format v1")


def test_the_cli_is_named_with_its_path() -> None:
    assert "`.venv/bin/fanlens`" in README


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_every_endpoint_is_in_the_readme(endpoint: str) -> None:
    assert endpoint in _documented_endpoints(README)


def _query_parameters() -> list[tuple[str, str]]:
    return sorted(
        (_endpoint(method, path), parameter["name"])
        for path, operations in APP.openapi()["paths"].items()
        for method, operation in operations.items()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "query"
    )


@pytest.mark.parametrize(("endpoint", "parameter"), _query_parameters())
def test_every_query_parameter_is_in_its_endpoint_row(endpoint: str, parameter: str) -> None:
    table = _section(README, "### Endpoints")
    rows = [r for r in table.splitlines() if endpoint in _documented_endpoints(r.split(" | ")[0])]
    assert f"`{parameter}`" in " ".join(rows)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_every_endpoint_says_where_its_answer_is_computed(endpoint: str) -> None:
    table = _section(ARCHITECTURE, "## Where each answer is computed")
    assert endpoint in _documented_endpoints(table)


@pytest.mark.parametrize("page", _pages())
def test_every_page_is_in_the_readme(page: str) -> None:
    documented = {
        re.sub(r"{[^}]*}", "{}", p) for p in re.findall(r"`(/analytics[^`\s?]*)`", README)
    }
    assert page in documented


def test_documented_endpoints_exist() -> None:
    documented = _documented_endpoints(README) | _documented_endpoints(ARCHITECTURE)
    api_like = {e for e in documented if not e.split(" ", 1)[1].startswith(("/", "http"))}
    assert api_like - set(ENDPOINTS) == set()


def _function_source(func: Any) -> str:
    """The source of the function a route was made from (decorators keep its module and name),
    with the module's private helpers it calls."""
    text = _text(Path(sys.modules[func.__module__].__file__ or ""))
    functions = {
        node.name: ast.get_source_segment(text, node) or ""
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    source = functions.get(func.__name__, "")
    helpers = set(re.findall(r"\b(_\w+)\(", source)) & set(functions)
    return "\n".join([source, *(functions[h] for h in sorted(helpers))])


def _answer_rows() -> list[tuple[str, list[str]]]:
    """(endpoint, the functions its row names as the service) per endpoint of the table."""
    table = _section(ARCHITECTURE, "## Where each answer is computed")
    rows = []
    for row in table.splitlines():
        cells = row.split(" | ")
        if row.startswith("| `") and len(cells) > 2:
            services = re.findall(r"`(fanlens(?:\.\w+){2,})`", cells[1])
            rows += [(e, services) for e in sorted(_documented_endpoints(cells[0]))]
    return rows


@pytest.mark.parametrize(("endpoint", "services"), _answer_rows(), ids=lambda v: str(v))
def test_each_answer_row_names_a_function_its_endpoint_calls(
    endpoint: str, services: list[str]
) -> None:
    """The service column of a row names what the endpoint's own code calls."""
    operations = {
        _endpoint(method, path): operation["operationId"]
        for path, ops in APP.openapi()["paths"].items()
        for method, operation in ops.items()
    }
    routes = {r.name: r for r in _routes(APP.routes) if hasattr(r, "endpoint")}
    source = _function_source(routes[operations[endpoint]].endpoint)
    called = [s for s in services if re.search(rf"\b{s.rsplit('.', 1)[1]}\b", source)]
    assert services == [] or called != []


@pytest.mark.parametrize("path", DOC_PATHS, ids=_name)
def test_links_and_anchors_resolve(path: Path) -> None:
    broken = []
    for link in _links(path):
        if re.match(r"[a-z]+:", link):  # https:, mailto:
            continue
        target, _, anchor = link.partition("#")
        file = (path.parent / target).resolve() if target else path
        if not file.exists() or _unknown_anchor(file, anchor):
            broken.append(link)
    assert broken == []


@pytest.mark.parametrize("path", DOC_PATHS, ids=_name)
def test_source_paths_exist(path: Path) -> None:
    found = re.findall(rf"(?<![\w/.-])(?:{SOURCE_DIRS})/[\w./-]*", _text(path))
    mentioned = {p.rstrip(".,:;") for p in found}
    assert sorted(p for p in mentioned if not (ROOT / p).exists()) == []


@pytest.mark.parametrize("path", DOC_PATHS, ids=_name)
def test_python_names_exist(path: Path) -> None:
    names = set(re.findall(r"`(fanlens(?:\.[A-Za-z_]\w*){2,})`", _text(path)))
    assert sorted(n for n in names if not _resolves(n)) == []


def _sql_objects(kind: str) -> list[str]:
    """Names the SQL files create: TRIGGER, VIEW or FUNCTION."""
    pattern = rf"CREATE (?:OR REPLACE )?{kind} (\w+)"
    files = (ROOT / "src" / "fanlens" / "db" / "sql").rglob("*.sql")
    return sorted({n for f in files for n in re.findall(pattern, _text(f), flags=re.I)})


@pytest.mark.parametrize("trigger", _sql_objects("TRIGGER"))
def test_every_trigger_says_what_it_keeps_current(trigger: str) -> None:
    """Its row in architecture.md names it and the SQL file that creates it."""
    table = _section(ARCHITECTURE, "## Triggers and what they keep current")
    rows = [r for r in table.splitlines() if r.startswith("| ") and f"`{trigger}`" in r]
    assert len(rows) == 1
    files = re.findall(r"`(\w+\.sql)`", rows[0])
    sql = [ROOT / "src" / "fanlens" / "db" / "sql" / f for f in files]
    created = [f for f in sql if f.exists() and re.search(rf"TRIGGER {trigger}\b", _text(f))]
    assert created != []


@pytest.mark.parametrize("name", _sql_objects("VIEW") + _sql_objects("FUNCTION"))
def test_every_view_and_function_is_documented(name: str) -> None:
    data_model = _text(ROOT / "docs" / "data-model.md")
    assert f"`{name}" in data_model + ARCHITECTURE


@pytest.mark.parametrize("path", DOC_PATHS, ids=_name)
def test_documented_sql_functions_exist(path: Path) -> None:
    """A `fanlens_…` or `trg_…` name in the docs is a function or trigger the SQL files create
    (metric names end in _total or _seconds; a name ending in _ stands for a family)."""
    names = set(re.findall(r"`((?:fanlens|trg)_\w+)", _text(path)))
    named = [n for n in names if not n.endswith(("_", "_total", "_seconds"))]
    created = set(_sql_objects("FUNCTION") + _sql_objects("TRIGGER"))
    assert sorted(n for n in named if n not in created) == []


@pytest.mark.parametrize("table", sorted(Base.metadata.tables))
def test_every_table_is_documented(table: str) -> None:
    assert f"`{table}`" in _section(_text(ROOT / "docs" / "data-model.md"), "## Tables")


def _benchmarks() -> list[str]:
    scripts = (ROOT / "benchmarks").glob("*.py")
    return sorted(p.stem for p in scripts if not p.stem.startswith("_") and p.stem != "api_floor")


@pytest.mark.parametrize("benchmark", _benchmarks())
def test_every_benchmark_has_its_command_and_latest_figures(benchmark: str) -> None:
    """Its section runs it by module and says which commit its figures were measured on."""
    performance = _text(ROOT / "docs" / "performance.md")
    sections = [_section(performance, m) for m in re.findall(r"^## .+$", performance, re.M)]
    mine = [s for s in sections if f"python -m benchmarks.{benchmark} " in s]
    assert len(mine) == 1
    assert re.search(r"measured on\s+`[0-9a-f]{7,40}`", mine[0], re.I)


@pytest.mark.parametrize("doc", sorted((ROOT / "docs").glob("*.md")), ids=_name)
def test_every_doc_is_linked_from_the_readme(doc: Path) -> None:
    assert f"]({_name(doc)})" in _section(README, "## Documentation")


def test_readme_is_short() -> None:
    assert len(README.splitlines()) <= README_MAX_LINES


@pytest.mark.parametrize("path", DOC_PATHS, ids=_name)
def test_no_history(path: Path) -> None:
    text = _text(path)
    found = [m.group(0) for pattern in HISTORY for m in re.finditer(pattern, text)]
    assert found == []
