"""Compile plan source under the plan policy, after a static check of its names."""

from __future__ import annotations

import ast
import builtins
import difflib
import marshal
from collections.abc import Iterable
from dataclasses import dataclass, replace

from ._builtins import PLAN_BUILTIN_NAMES
from ._limits import Limits
from ._policy import PlanPolicy, Problem

PLAN_FILENAME = "<plan>"
PRELUDE_FILENAME = "<prelude>"

# Names a plan might reach for that are withheld on purpose, with the reason.
WITHHELD: dict[str, str] = {
    **dict.fromkeys(
        ("getattr", "setattr", "delattr", "hasattr", "vars", "dir", "type", "object"),
        "it reaches hidden attributes; use `x.name` or `d['key']`",
    ),
    **dict.fromkeys(
        ("eval", "exec", "compile", "__import__", "globals", "locals", "breakpoint"),
        "plans cannot run or inspect other code",
    ),
    **dict.fromkeys(("open", "input", "help", "exit", "quit"), "plans have no files or console"),
    **dict.fromkeys(
        ("next", "iter", "super", "memoryview", "bytearray", "bytes"), "not needed by plans"
    ),
    "format": "use an f-string",
}


class PlanRejected(Exception):
    """The plan source was rejected before it ran; `problems` lists every reason."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"The plan was rejected ({len(problems)} problem(s)):\n{lines}")


@dataclass(frozen=True)
class CompiledPlan:
    """A plan that passed every check, ready for a plan process."""

    source: str
    code: bytes  # marshal of the restricted code object
    primitives: tuple[str, ...]
    constants: tuple[str, ...]
    prelude: bytes | None = None  # marshal of the prelude's code, run first


def check_plan(
    source: str,
    *,
    primitives: Iterable[str] = (),
    constants: Iterable[str] = (),
    prelude: str = "",
    limits: Limits | None = None,
) -> list[Problem]:
    """Every problem with `source` as a plan, in line order (empty when it is fine)."""
    return _with_prelude(source, tuple(primitives), tuple(constants), prelude, limits)[1]


def compile_plan(
    source: str,
    *,
    primitives: Iterable[str] = (),
    constants: Iterable[str] = (),
    prelude: str = "",
    limits: Limits | None = None,
) -> CompiledPlan:
    """Check and compile `source`; raise `PlanRejected` listing all problems at once.

    `prelude` is plan-language source run before the plan in the same scope (the
    host's plan-side helpers); the names it defines are known to the plan.

    Example::

        plan = compile_plan("result = echo('hi')", primitives=["echo"])
    """
    plan, problems = _with_prelude(source, tuple(primitives), tuple(constants), prelude, limits)
    if plan is None:
        raise PlanRejected(problems)
    return plan


def _with_prelude(
    source: str,
    primitives: tuple[str, ...],
    constants: tuple[str, ...],
    prelude: str,
    limits: Limits | None,
) -> tuple[CompiledPlan | None, list[Problem]]:
    limits = limits or Limits()
    if not prelude:
        return _compile(source, primitives, constants, limits)
    helpers, problems = _compile(
        prelude, primitives, constants, limits, filename=PRELUDE_FILENAME, require_result=False
    )
    if helpers is None:
        raise ValueError(f"The prelude is not valid plan code: {problems}")
    defined = _defined_names(ast.parse(prelude))
    plan, problems = _compile(source, primitives, constants + tuple(sorted(defined)), limits)
    if plan is None:
        return None, problems
    return replace(plan, constants=constants, prelude=helpers.code), []


def _compile(
    source: str,
    primitives: tuple[str, ...],
    constants: tuple[str, ...],
    limits: Limits,
    *,
    filename: str = PLAN_FILENAME,
    require_result: bool = True,
) -> tuple[CompiledPlan | None, list[Problem]]:
    if not isinstance(source, str):
        raise TypeError(f"plan source must be str, got {type(source).__name__}")
    if len(source) > limits.source_chars:
        return None, [
            Problem(
                None,
                None,
                f"the plan is {len(source)} characters long; the limit is "
                f"{limits.source_chars} (Limits.source_chars).",
            )
        ]
    try:
        tree = ast.parse(source, filename)
    except SyntaxError as err:
        text = (err.text or "").strip()
        where = f": `{text}`" if text else ""
        return None, [Problem(err.lineno, err.offset, f"syntax error, {err.msg}{where}")]

    nodes = sum(1 for _ in ast.walk(tree))
    if nodes > limits.ast_nodes:
        return None, [
            Problem(
                None,
                None,
                f"the plan has {nodes} syntax nodes; the limit is {limits.ast_nodes} "
                "(Limits.ast_nodes).",
            )
        ]

    problems = _check_names(tree, primitives, constants, require_result)
    policy = PlanPolicy([], [], {})
    policy.visit(tree)
    problems.extend(policy.problems)
    if problems:
        return None, sorted(set(problems), key=lambda p: (p.line or 0, p.col or 0, p.message))
    ast.fix_missing_locations(tree)
    code = compile(tree, filename, "exec", dont_inherit=True)
    return CompiledPlan(source, marshal.dumps(code), primitives, constants), []


def _defined_names(tree: ast.AST) -> set[str]:
    """Every name the source binds anywhere (scopes are not told apart)."""
    defined: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            defined.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            defined.add(node.name)
        elif isinstance(node, ast.arg):
            defined.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            defined.add(node.name)
        elif isinstance(node, ast.Global | ast.Nonlocal):
            defined.update(node.names)
    return defined


def _check_names(
    tree: ast.Module, primitives: tuple[str, ...], constants: tuple[str, ...], require_result: bool
) -> list[Problem]:
    """Every name a plan reads must be a primitive, a constant, a builtin or its own."""
    defined = _defined_names(tree)
    reads = [n for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)]

    known = set(primitives) | set(constants) | PLAN_BUILTIN_NAMES | defined
    problems: list[Problem] = []
    for name in reads:
        if name.id in known or name.id.startswith("_"):
            continue  # underscore names are the policy's to report
        if name.id in WITHHELD:
            message = f"`{name.id}` is not available in plans: {WITHHELD[name.id]}."
        else:
            close = difflib.get_close_matches(name.id, sorted(known), n=1, cutoff=0.6)
            if close:
                message = f"unknown name `{name.id}` — did you mean `{close[0]}`?"
            elif name.id in dir(builtins):
                message = f"`{name.id}` is not available in plans."
            else:
                message = (
                    f"unknown name `{name.id}`: it is not a primitive, an allowed "
                    "builtin, or defined by the plan."
                )
        problems.append(Problem(name.lineno, name.col_offset, message))
    if require_result and "result" not in defined:
        problems.append(
            Problem(
                None,
                None,
                "the plan never assigns `result`: its output is the value of the "
                "top-level name `result` when it ends.",
            )
        )
    return problems
