"""The errors stdlib_tools raises on purpose.

A validator never raises because a *text* fails; it returns ``(False, reason)``. It raises
`UsageError` when it is *called* wrongly (no bound given, a negative count, a letter that is
not one letter). `calculate` raises `CalculationError` for an expression it refuses or cannot
evaluate.
"""

from __future__ import annotations


class StdlibToolsError(Exception):
    """Base of every error stdlib_tools raises on purpose."""


class UsageError(StdlibToolsError, ValueError):
    """A validator or tool was called with arguments it cannot use; the message names the fix."""


class CalculationError(StdlibToolsError, ValueError):
    """`calculate` refused an expression, or evaluating it failed (division by zero, ...)."""
