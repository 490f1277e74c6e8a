"""Small tools for plans: `text_stats` and a safe `calculate`."""

from __future__ import annotations

import ast
import math
from collections.abc import Callable

from ._errors import CalculationError
from ._text import (
    find_bullets,
    find_capital_words,
    find_highlights,
    find_placeholders,
    split_divider_paragraphs,
    split_paragraphs,
    split_sentences,
    split_words,
)


def text_stats(text: str) -> dict[str, int]:
    """The counts the validators use, in one dict.

    Keys: ``words``, ``sentences``, ``paragraphs`` (blank-line separated),
    ``divider_paragraphs`` (``***`` separated), ``lines`` (non-empty), ``characters``
    (outer whitespace stripped), ``bullets``, ``placeholders``, ``highlights``,
    ``capital_words`` and ``commas``.

    >>> text_stats("Hello there. Bye!\\n\\n* one [x]")["sentences"]
    3
    """
    return {
        "words": len(split_words(text)),
        "sentences": len(split_sentences(text)),
        "paragraphs": len(split_paragraphs(text)),
        "divider_paragraphs": len(split_divider_paragraphs(text)),
        "lines": sum(1 for line in text.splitlines() if line.strip()),
        "characters": len(text.strip()),
        "bullets": len(find_bullets(text)),
        "placeholders": len(find_placeholders(text)),
        "highlights": len(find_highlights(text)),
        "capital_words": len(find_capital_words(text)),
        "commas": text.count(","),
    }


_MAX_EXPRESSION_CHARS = 1000
_MAX_NODES = 300
_MAX_EXPONENT = 1000
_MAX_INT_BITS = 4096  # about 1233 decimal digits
_MAX_ROUND_DIGITS = 100

Number = int | float


def _sqrt(x: Number) -> float:
    return math.sqrt(x)


def _round(x: Number, digits: int | None = None) -> Number:
    if digits is not None and (not isinstance(digits, int) or abs(digits) > _MAX_ROUND_DIGITS):
        raise CalculationError(
            f"round's digits must be a whole number within ±{_MAX_ROUND_DIGITS}, got {digits!r}."
        )
    return round(x) if digits is None else round(x, digits)


_FUNCTIONS: dict[str, Callable[..., Number]] = {
    "abs": abs,
    "ceil": math.ceil,
    "floor": math.floor,
    "max": max,
    "min": min,
    "round": _round,
    "sqrt": _sqrt,
}
_CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}
_BINARY: dict[type[ast.operator], Callable[[Number, Number], Number]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.FloorDiv: lambda a, b: a // b,
    ast.Mod: lambda a, b: a % b,
}
_ALLOWED = (
    "numbers, + - * / // % **, parentheses, unary minus, the constants pi and e, and the"
    " functions " + ", ".join(sorted(_FUNCTIONS))
)


def calculate(expression: str) -> int | float:
    """Evaluate an arithmetic expression safely; never runs code.

    Allowed: int and float literals, ``+ - * / // % **``, parentheses, unary ``-``/``+``,
    the constants ``pi`` and ``e``, and ``abs``, ``ceil``, ``floor``, ``max``, ``min``,
    ``round`` and ``sqrt`` called with positional arguments. Anything else (names,
    attributes, other calls, comparisons, strings) raises `CalculationError` naming the
    column. Sizes are bounded: at most 1000 characters, exponents up to 1000 in magnitude,
    and integer results up to 4096 bits, so ``9**9**9`` is refused before it is computed.

    >>> calculate("2 * (3 + 4) ** 2 - 10 // 3")
    95
    >>> calculate("round(sqrt(2), 3)")
    1.414
    """
    if not isinstance(expression, str):
        raise CalculationError(f"The expression must be a string, got {type(expression).__name__}.")
    if len(expression) > _MAX_EXPRESSION_CHARS:
        raise CalculationError(
            f"The expression has {len(expression)} characters; at most {_MAX_EXPRESSION_CHARS}"
            " are allowed. Split the calculation into steps."
        )
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as err:
        raise CalculationError(
            f"{expression.strip()!r} is not an arithmetic expression ({err.msg} at column"
            f" {err.offset}). Allowed: {_ALLOWED}."
        ) from None
    nodes = sum(1 for _ in ast.walk(tree))
    if nodes > _MAX_NODES:
        raise CalculationError(
            f"The expression has {nodes} parts; at most {_MAX_NODES} are allowed."
            " Split the calculation into steps."
        )
    try:
        return _evaluate(tree.body)
    except CalculationError:
        raise
    except ZeroDivisionError:
        raise CalculationError(f"Division by zero in {expression.strip()!r}.") from None
    except OverflowError:
        raise CalculationError(
            f"The result of {expression.strip()!r} is too large for a float; use smaller numbers."
        ) from None
    except (ValueError, TypeError) as err:
        raise CalculationError(f"Cannot evaluate {expression.strip()!r}: {err}.") from None


def _refuse(node: ast.AST, what: str) -> CalculationError:
    column = getattr(node, "col_offset", 0) + 1
    return CalculationError(f"{what} at column {column} is not allowed. Allowed: {_ALLOWED}.")


def _evaluate(node: ast.AST) -> Number:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise _refuse(node, f"The constant {node.value!r}")
        return _checked(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        operand = _evaluate(node.operand)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp):
        left, right = _evaluate(node.left), _evaluate(node.right)
        if isinstance(node.op, ast.Pow):
            return _checked(_power(left, right))
        operation = _BINARY.get(type(node.op))
        if operation is None:
            raise _refuse(node, f"The operator {type(node.op).__name__}")
        return _checked(operation(left, right))
    if isinstance(node, ast.Name):
        if node.id in _CONSTANTS:
            return _CONSTANTS[node.id]
        raise _refuse(node, f"The name {node.id!r}")
    if isinstance(node, ast.Call):
        return _call(node)
    raise _refuse(node, repr(ast.unparse(node)))


def _call(node: ast.Call) -> Number:
    if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS:
        callee = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
        raise _refuse(node, f"Calling {callee!r}")
    if node.keywords or any(isinstance(arg, ast.Starred) for arg in node.args):
        raise _refuse(node, f"Keyword or starred arguments to {node.func.id!r}")
    if not node.args:
        raise CalculationError(f"{node.func.id}() needs at least one argument.")
    args = [_evaluate(arg) for arg in node.args]
    return _checked(_FUNCTIONS[node.func.id](*args))


def _power(base: Number, exponent: Number) -> Number:
    if abs(exponent) > _MAX_EXPONENT:
        raise CalculationError(
            f"The exponent {exponent} is too large; exponents are limited to ±{_MAX_EXPONENT}."
        )
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0:
        bits = base.bit_length() * exponent
        if bits > _MAX_INT_BITS:
            raise CalculationError(
                f"{base} ** {exponent} would have about {bits} bits; results are limited to"
                f" {_MAX_INT_BITS} bits (about 1233 digits)."
            )
    result = base**exponent
    if isinstance(result, complex):
        raise CalculationError(f"({base}) ** {exponent} is not a real number.")
    return result


def _checked(value: Number) -> Number:
    if isinstance(value, float) and not math.isfinite(value):
        raise CalculationError(
            f"The result is {value} (the numbers grew too large or undefined); use smaller ones."
        )
    if isinstance(value, int) and value.bit_length() > _MAX_INT_BITS:
        raise CalculationError(
            f"An intermediate result has {value.bit_length()} bits; results are limited to"
            f" {_MAX_INT_BITS} bits (about 1233 digits)."
        )
    return value
