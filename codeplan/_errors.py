"""The three audiences of codeplan's errors.

* `UserError`: the library was called wrongly; the message names the fix.
* `PlanError` and subclasses: something failed while a plan ran (a budget cap,
  a model call, the sandbox). A run still returns a Result that says so.
* Anything else is a bug in codeplan itself.
"""

from __future__ import annotations


class CodeplanError(Exception):
    """Base of every error codeplan raises on purpose."""


class UserError(CodeplanError, ValueError):
    """codeplan was called wrongly: bad arguments, unknown model, bad primitive."""


class PlanError(CodeplanError):
    """A failure while a plan ran."""


class BudgetExceeded(PlanError):
    """A budget cap would be exceeded (before spending) or was exceeded (after).

    Attributes:
        limit: which cap: "usd", "tokens", "calls", "seconds" or "steps".
        cap: the cap's value.
        spent: what was spent against it so far.
        requested: what the refused step would have needed (0 when after the fact).
    """

    def __init__(self, message: str, *, limit: str, cap: float, spent: float, requested: float = 0):
        super().__init__(message)
        self.limit = limit
        self.cap = cap
        self.spent = spent
        self.requested = requested


class ModelError(PlanError):
    """A model call failed after its retries, timed out, or returned garbage."""


class PrimitiveFailed(PlanError):
    """A primitive raised or returned something that is not JSON data."""


class SandboxViolation(PlanError):
    """The plan was rejected by the sandbox policy or hit a sandbox limit."""
