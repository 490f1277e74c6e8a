"""The plan policy: RestrictedPython's checks plus what plans never need.

On top of every check of `RestrictingNodeTransformer`, the policy

* rejects class definitions, imports, ``with``, ``yield``, decorators, bare
  ``except:`` and handlers for the BaseException family, and keyword arguments
  whose names start with ``_``;
* turns generator expressions into list comprehensions, so no generator (and no
  generator frame) ever exists in a plan;
* counts steps: ``for`` loops and comprehensions already iterate through
  ``_getiter_``, which charges one step per item; ``_step_()`` is injected at
  ``while`` bodies, function entries and lambdas; ``_check_()`` goes at the top of
  every ``except`` body, so an exhausted limit cannot be caught and ignored;
* routes ``+ * ** <<`` (and their augmented forms) through size-checking guards,
  and every f-string format spec through ``_fmtspec_``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from RestrictedPython.transformer import RestrictingNodeTransformer, copy_locations

GUARDED_BINOPS: dict[type[ast.operator], str] = {
    ast.Add: "_add_",
    ast.Mult: "_mul_",
    ast.Pow: "_pow_",
    ast.LShift: "_lshift_",
}
OPERATOR_NAMES: dict[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.BitAnd: "&",
    ast.MatMult: "@",
}
UNCATCHABLE = frozenset({"BaseException", "SystemExit", "KeyboardInterrupt", "GeneratorExit"})


@dataclass(frozen=True)
class Problem:
    """One reason a plan was rejected, at a place in its source."""

    line: int | None
    col: int | None
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


def _call(name: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=ast.Name(name, ast.Load()), args=list(args), keywords=[])


def _stmt(name: str, node: ast.stmt | ast.excepthandler) -> ast.Expr:
    stmt = ast.Expr(_call(name))
    copy_locations(stmt, node)
    ast.fix_missing_locations(stmt)
    return stmt


def _bounded(node: ast.BinOp) -> bool:
    """Whether the result of `node` cannot grow without bound, whatever the operands.

    `x + 1`, `x + "!"` and `x * 0.5` grow a value by at most the literal per step,
    so the step limit bounds them and they run unguarded (and at full speed).
    """
    literals = [
        side.value
        for side in (node.left, node.right)
        if isinstance(side, ast.Constant) and type(side.value) in (int, float, str, bool)
    ]
    if not literals:
        return False
    if isinstance(node.op, ast.Add):
        return all(type(v) is not str or len(v) <= 1_000 for v in literals)
    if isinstance(node.op, ast.Mult):
        return any(type(v) is float for v in literals)
    return False


class PlanPolicy(RestrictingNodeTransformer):
    """RestrictedPython's transformer with the plan language's extra rules."""

    def __init__(self, errors: list[str], warnings: list[str], used_names: dict[str, bool]):
        super().__init__(errors, warnings, used_names)
        self.problems: list[Problem] = []

    # RestrictedPython reports "Line N: ..." strings; keep a structured copy too.
    def error(self, node: ast.AST, info: str) -> None:
        super().error(node, info)
        self.problems.append(
            Problem(getattr(node, "lineno", None), getattr(node, "col_offset", None), info)
        )

    # --- what plans never need ---------------------------------------------

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        self.error(
            node,
            f"class definitions are not allowed in plans (`class {node.name}`): "
            "use dicts for records and functions for behaviour.",
        )
        return node

    def _reject_import(self, node: ast.Import | ast.ImportFrom) -> ast.AST:
        names = ", ".join(f"`{a.name}`" for a in node.names)
        self.error(
            node,
            f"imports are not allowed in plans ({names}): every primitive and "
            "allowed builtin is already in scope.",
        )
        return node

    visit_Import = _reject_import
    visit_ImportFrom = _reject_import

    def visit_With(self, node: ast.With) -> ast.AST:
        self.error(node, "`with` statements are not allowed in plans.")
        return node

    def _reject_yield(self, node: ast.Yield | ast.YieldFrom) -> ast.AST:
        self.error(node, "generators (`yield`) are not allowed in plans: build and return a list.")
        return node

    visit_Yield = _reject_yield
    visit_YieldFrom = _reject_yield

    def visit_keyword(self, node: ast.keyword) -> ast.AST:
        if node.arg is not None and node.arg.startswith("_"):
            self.error(
                node,
                f'"{node.arg}" is an invalid keyword argument because it starts with "_".',
            )
        return self.node_contents_visit(node)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> ast.AST:
        if node.type is None:
            self.error(node, "bare `except:` is not allowed: write `except Exception:`.")
        else:
            caught = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
            for expr in caught:
                if isinstance(expr, ast.Name) and expr.id in UNCATCHABLE:
                    self.error(
                        node,
                        f"catching `{expr.id}` is not allowed: catch `Exception` "
                        "or a subclass of it.",
                    )
        handler = super().visit_ExceptHandler(node)
        assert isinstance(handler, ast.ExceptHandler)
        handler.body.insert(0, _stmt("_check_", handler))
        return handler

    # --- step counting --------------------------------------------------------

    def visit_While(self, node: ast.While) -> ast.AST:
        new = super().visit_While(node)
        assert isinstance(new, ast.While)
        new.body.insert(0, _stmt("_step_", new))
        return new

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        if node.decorator_list:
            self.error(node, f"decorators are not allowed in plans (on `{node.name}`).")
        new = super().visit_FunctionDef(node)
        assert isinstance(new, ast.FunctionDef)
        new.body.insert(0, _stmt("_step_", new))
        return new

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        new = super().visit_Lambda(node)
        assert isinstance(new, ast.Lambda)
        # `_step_()` returns a truthy count, so `and` yields the original body.
        new.body = ast.BoolOp(op=ast.And(), values=[_call("_step_"), new.body])
        copy_locations(new.body, node)
        ast.fix_missing_locations(new)
        return new

    def visit_GeneratorExp(self, node: ast.GeneratorExp) -> ast.AST:
        new = super().visit_GeneratorExp(node)
        assert isinstance(new, ast.GeneratorExp)
        # Evaluated eagerly: plans get the same values without a generator frame.
        lst = ast.ListComp(elt=new.elt, generators=new.generators)
        copy_locations(lst, node)
        return lst

    # --- size-checked operators ---------------------------------------------

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        new = self.node_contents_visit(node)
        guard = GUARDED_BINOPS.get(type(new.op))
        if guard is None or _bounded(new):
            return new
        call = _call(guard, new.left, new.right)
        copy_locations(call, node)
        return call

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST | list[ast.stmt]:
        node = self.node_contents_visit(node)
        target = node.target
        guard = GUARDED_BINOPS.get(type(node.op))
        if isinstance(target, ast.Name):
            self.check_name(node, target.id)
            if guard is None or _bounded(ast.BinOp(target, node.op, node.value)):
                return node  # `-=`, `/=`, `+= 1`: cannot grow a value without bound
            if isinstance(node.op, ast.Add):
                return self._fast_add(node, target.id)
            new: ast.stmt = ast.Assign(
                targets=[ast.Name(target.id, ast.Store())],
                value=_call(guard, ast.Name(target.id, ast.Load()), node.value),
            )
        elif isinstance(target, ast.Subscript):
            # d[k] += v  ->  _augitem_(d, k, "+", v): guarded read, op and write.
            new = ast.Expr(
                _call(
                    "_augitem_",
                    target.value,
                    target.slice,
                    ast.Constant(OPERATOR_NAMES[type(node.op)]),
                    node.value,
                )
            )
        else:
            self.error(node, "augmented assignment of attributes is not allowed in plans.")
            return node
        copy_locations(new, node)
        ast.fix_missing_locations(new)
        return new

    def _fast_add(self, node: ast.AugAssign, name: str) -> list[ast.stmt]:
        """`x += v` -> `_aug_ = v; x = x + _aug_ if _type_(x) in _numbers_ else _add_(x, _aug_)`.

        Adding to a number cannot grow anything, so the common counter and sum
        loops skip the guard's call; everything else still goes through `_add_`.
        """
        load = ast.Name(name, ast.Load())
        temp = ast.Name("_aug_", ast.Load())
        is_number = ast.Compare(
            left=_call("_type_", load),
            ops=[ast.In()],
            comparators=[ast.Name("_numbers_", ast.Load())],
        )
        value = ast.IfExp(
            test=is_number, body=ast.BinOp(load, ast.Add(), temp), orelse=_call("_add_", load, temp)
        )
        stmts: list[ast.stmt] = [
            ast.Assign(targets=[ast.Name("_aug_", ast.Store())], value=node.value),
            ast.Assign(targets=[ast.Name(name, ast.Store())], value=value),
        ]
        for stmt in stmts:
            copy_locations(stmt, node)
            ast.fix_missing_locations(stmt)
        return stmts

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        if isinstance(node.ctx, ast.Load):
            new = super().visit_Subscript(node)
            assert isinstance(new, ast.AST)
            return new
        # `x[k] = v` and `del x[k]` need no `_write_`: the only values in a plan that
        # accept item assignment are the lists and dicts it may change anyway.
        return self.node_contents_visit(node)

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        new = self.node_contents_visit(node)
        if new.format_spec is not None:
            # f"{x:>{w}}": the spec is built first, then checked by _fmtspec_.
            checked = ast.FormattedValue(
                value=_call("_fmtspec_", new.format_spec), conversion=-1, format_spec=None
            )
            spec = ast.JoinedStr(values=[checked])
            copy_locations(checked, node)
            copy_locations(spec, node)
            new.format_spec = spec
        return new
