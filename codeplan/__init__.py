"""codeplan: an LLM writes a plan as a small Python program; a sandboxed runtime runs it.

The runtime, planner and primitives arrive with their issues; today the package
holds the plan sandbox (see the `sandbox` package).
"""

from __future__ import annotations

__all__: list[str] = []
