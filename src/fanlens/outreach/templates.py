"""Message templates: Jinja2 in a sandbox, so a template can read its variables and nothing
else (no attribute walking to Python internals, no file access), and under a budget, so one
template cannot hold a worker for seconds or fill its memory (README "Outreach").

The budget: the source's length; ranges; numbers and repeated strings an operator may build;
calls (only range, dict and plain text/dict methods); lines of template code run per message
(counted by a trace hook on the template's own frames: no thread is ever killed); and the
characters one message renders to.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from functools import lru_cache
from types import FrameType
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError, nodes
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from fanlens.kit.errors import InvalidInput

MAX_SOURCE = 20_000  # characters of a template
MAX_OUTPUT = 10_000  # characters one message (or one value inside it) may hold
MAX_RANGE = 1_000  # items of a range()
MAX_STEPS = 100_000  # lines of template code run for one message
MAX_BITS = 64  # numbers an operator may build (a 64-bit integer)

# Blocks a message does not need, and that would let it recurse (macros) or reach files.
REFUSED_NODES = (nodes.Macro, nodes.CallBlock, nodes.Import, nodes.FromImport, nodes.Include,
                 nodes.Extends)  # fmt: skip
# Filters whose output grows with a number argument (center(10**9)) or that draw at random.
REFUSED_FILTERS = ("batch", "center", "format", "forceescape", "indent", "pprint", "random",
                   "slice", "urlize", "wordwrap", "xmlattr")  # fmt: skip
# Methods a template may call on its values: none mutates, none grows with a number argument.
SAFE_METHODS = frozenset((
    "capitalize", "casefold", "count", "endswith", "find", "get", "index", "isalnum", "isalpha",
    "isdigit", "islower", "isspace", "istitle", "isupper", "items", "keys", "lower", "lstrip",
    "rstrip", "split", "startswith", "strip", "swapcase", "title", "upper", "values", "join",
    "replace", "cycle", "changed", "next", "current", "reset",
))  # fmt: skip
TEMPLATE_FILE = "<template>"  # the file name Jinja gives code compiled from a string


class TemplateLimit(InvalidInput):
    """A template over one of the limits; `details.limit` names which."""

    def __init__(self, limit: str, message: str) -> None:
        super().__init__(f"template: {message}", details={"limit": limit})


def _range(*args: int) -> range:
    span = range(*args)
    try:
        too_long = len(span) > MAX_RANGE
    except OverflowError:  # longer than an index can count
        too_long = True
    if too_long:
        raise TemplateLimit("range", f"range() is limited to {MAX_RANGE} items")
    return span


def _sized(limit: str, length: int) -> None:
    if length > MAX_OUTPUT:
        raise TemplateLimit(limit, f"a value would hold {length} characters; at most {MAX_OUTPUT}")


def _number(value: Any) -> None:
    if isinstance(value, int) and value.bit_length() > MAX_BITS:
        raise TemplateLimit("number", f"numbers are limited to {MAX_BITS} bits")


def _check_binop(operator: str, left: Any, right: Any) -> None:
    sequence = (str, list, tuple)
    if operator == "*" and isinstance(left, sequence) and isinstance(right, int):
        _sized("output", len(left) * right)
    elif operator == "*" and isinstance(right, sequence) and isinstance(left, int):
        _sized("output", len(right) * left)
    elif operator == "+" and isinstance(left, sequence) and isinstance(right, sequence):
        _sized("output", len(left) + len(right))
    elif operator == "**" and isinstance(left, int) and isinstance(right, int):
        if right > 0 and abs(left) > 1 and (abs(left).bit_length() - 1) * right > MAX_BITS:
            raise TemplateLimit("number", f"numbers are limited to {MAX_BITS} bits")
    elif operator == "%" and isinstance(left, str):
        raise SecurityError("'%' formatting is not available; write {{ value }} instead")


def _replaced(text: Any, old: Any, new: Any, count: int | None = None) -> None:
    """Refuse a replace whose result would be over the limit, before it is built."""
    text, old, new = str(text), str(old), str(new)
    hits = text.count(old) if old else len(text) + 1
    if count is not None and count >= 0:
        hits = min(hits, count)
    _sized("output", len(text) + hits * len(new))


def _joined(items: Iterable[Any], separator: Any) -> list[str]:
    parts = [str(item) for item in items]
    _sized("output", sum(map(len, parts)) + len(str(separator)) * max(len(parts) - 1, 0))
    return parts


class _Sandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _check_binop(operator, left, right)
        result = super().call_binop(context, operator, left, right)
        _number(result)
        return result

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        if __obj not in (_range, dict) and getattr(__obj, "__name__", "") not in SAFE_METHODS:
            raise SecurityError(f"{getattr(__obj, '__name__', __obj)!r} cannot be called here")
        name = getattr(__obj, "__name__", "")
        if name == "replace" and isinstance(getattr(__obj, "__self__", None), str):
            _replaced(__obj.__self__, *args, **kwargs)
        if name == "join" and isinstance(getattr(__obj, "__self__", None), str) and args:
            args = (_joined(args[0], __obj.__self__), *args[1:])
        return super().call(__context, __obj, *args, **kwargs)


def _environment() -> _Sandbox:
    env = _Sandbox(undefined=StrictUndefined, autoescape=False, trim_blocks=True)
    env.globals = {"range": _range, "dict": dict}  # no lipsum, namespace, cycler, joiner
    for name in REFUSED_FILTERS:
        del env.filters[name]
    env.filters["replace"] = _wrap_replace(env.filters["replace"])
    env.filters["join"] = _wrap_join(env.filters["join"])
    return env


def _wrap_replace(replace: Callable[..., str]) -> Callable[..., str]:
    def checked(eval_ctx: Any, text: Any, old: Any, new: Any, count: int | None = None) -> str:
        _replaced(text, old, new, count)
        return replace(eval_ctx, text, old, new, count)

    checked.jinja_pass_arg = replace.jinja_pass_arg  # type: ignore[attr-defined]
    return checked


def _wrap_join(join: Callable[..., str]) -> Callable[..., str]:
    def checked(eval_ctx: Any, items: Iterable[Any], d: str = "", attribute: Any = None) -> str:
        if attribute is None:
            items = _joined(items, d)
        return join(eval_ctx, items, d, attribute)

    checked.jinja_pass_arg = join.jinja_pass_arg  # type: ignore[attr-defined]
    return checked


_env = _environment()

# What a template can use; `counts` maps an interaction type (comment, like, …) to a count.
SAMPLE_CONTEXT: dict[str, Any] = {
    "name": "Ada",
    "handle": "ada",
    "platform": "youtube",
    "top_content": "Cold brew in 60 seconds",
    "first_interaction": "2026-01-31",
    "counts": {"comment": 12, "like": 40},
    "comments": 12,
    "interactions": 52,
    "score": 640.0,
    "tier": "super_fan",
}


def check(source: str) -> None:
    """Raise InvalidInput when a template does not parse, uses an unknown variable, or goes
    over a limit rendered for a sample person."""
    render(source, SAMPLE_CONTEXT)


@lru_cache(maxsize=64)
def _compiled(source: str) -> tuple[Template, bool]:
    """The template, and whether it loops (without loops or macros, the lines it runs are
    bounded by its length: no step count needed, and tracing would triple a render's time)."""
    if len(source) > MAX_SOURCE:
        raise TemplateLimit("source", f"{len(source)} characters; at most {MAX_SOURCE}")
    tree = _env.parse(source)
    for node in tree.find_all(REFUSED_NODES):
        raise SecurityError(f"{type(node).__name__.lower()} blocks are not available")
    loops = any(True for _ in tree.find_all(nodes.For))
    return _env.from_string(source), loops  # compiling costs far more than rendering: once


def render(source: str, context: dict[str, Any]) -> str:
    try:
        template, loops = _compiled(source)
        return _budgeted(template, context, count_steps=loops)
    except InvalidInput:
        raise
    except TemplateError as exc:  # SecurityError and UndefinedError are TemplateErrors
        raise InvalidInput(f"template: {exc}") from exc
    except (ArithmeticError, LookupError, TypeError, ValueError, RecursionError) as exc:
        # 1/0, 'a' + 1, an integer literal too long to read: the template's fault, not ours
        raise InvalidInput(f"template: {type(exc).__name__}: {exc}") from exc


class _Steps:
    """Counts lines run in template code; past the budget, the next line raises."""

    def __init__(self) -> None:
        self.count = 0
        self.tripped = False

    def on_call(self, frame: FrameType, event: str, arg: Any) -> Any:
        return self.on_line if frame.f_code.co_filename == TEMPLATE_FILE else None

    def on_line(self, frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line" and not self.tripped:
            self.count += 1
            if self.count > MAX_STEPS:
                self.tripped = True  # raise once: Jinja's traceback rewriting runs such code too
                raise TemplateLimit("steps", f"over {MAX_STEPS} steps (loops too long)")
        return self.on_line


def _budgeted(template: Template, context: dict[str, Any], *, count_steps: bool) -> str:
    steps, previous = _Steps(), sys.gettrace()
    parts: list[str] = []
    size = 0
    if count_steps:
        sys.settrace(steps.on_call)
    try:
        for part in template.generate(context):
            size += len(part)
            if size > MAX_OUTPUT:
                raise TemplateLimit("output", f"a message is limited to {MAX_OUTPUT} characters")
            parts.append(part)
    finally:
        if count_steps:
            sys.settrace(previous)
    return "".join(parts)
