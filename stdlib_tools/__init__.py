"""Validators and small tools that plans may call. Pure functions."""

from __future__ import annotations

__all__: list[str] = []
