"""JSON validators: the whole answer is JSON, optionally matching a JSON Schema."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from ._bounds import Check
from ._errors import UsageError

_FENCE = re.compile(r"^```(?:json)?[ \t]*\n?(?P<body>.*?)\n?```$", re.IGNORECASE | re.DOTALL)
_FENCE_INSIDE = re.compile(r"```(?:json)?[ \t]*\n(.*?)```", re.IGNORECASE | re.DOTALL)


def _json_body(text: str) -> str:
    """The text without outer whitespace and without one wrapping ```json fence (as IFEval)."""
    stripped = text.strip()
    fenced = _FENCE.match(stripped)
    return fenced.group("body").strip() if fenced else stripped


def _parse(text: str) -> tuple[Any, str]:
    """The parsed JSON value and "", or None and the reason it is not JSON."""
    body = _json_body(text)
    try:
        return json.loads(body), ""
    except ValueError as err:
        reason = f"is not valid JSON: {err}"
        inner = _FENCE_INSIDE.search(text)
        if inner and _loads_ok(inner.group(1)):
            return None, (
                "has valid JSON in a ``` block but other text around it — output only the JSON"
                " (a ```json fence around it is fine)"
            )
        return None, f"{reason} — output only the JSON (a ```json fence around it is fine)"


def _loads_ok(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def check_json(text: str) -> Check:
    """The whole text is one JSON value, optionally inside a ```json fence (as IFEval).

    >>> check_json('```json\\n{"a": 1}\\n```')
    (True, 'ok: valid JSON (object)')
    >>> print(check_json('Here: {"a": 1,}')[1])
    is not valid JSON: Expecting value: line 1 column 1 (char 0) — output only the JSON (a ```json fence around it is fine)
    """  # noqa: E501
    value, reason = _parse(text)
    if reason:
        return False, reason
    return True, f"ok: valid JSON ({_kind(value)})"


def _kind(value: Any) -> str:
    kinds = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return kinds.get(type(value), "number")


def check_json_schema(text: str, schema: Mapping[str, Any]) -> Check:
    """The whole text is JSON (as `check_json`) that validates against a JSON Schema.

    Uses the `jsonschema` package and the schema's own draft (``$schema``), 2020-12 if none.
    Reports up to five violations, each with its JSON path.

    >>> schema = {"type": "object", "required": ["name"],
    ...           "properties": {"name": {"type": "string"}, "age": {"type": "integer"}}}
    >>> check_json_schema('{"name": "Ana", "age": 3}', schema)
    (True, 'ok: valid JSON matching the schema')
    >>> print(check_json_schema('{"age": "3"}', schema)[1])
    does not match the schema in 2 places: at $: 'name' is a required property; at $.age: '3' is not of type 'integer'
    """  # noqa: E501
    validator = _validator(schema)
    value, reason = _parse(text)
    if reason:
        return False, reason
    errors = sorted(validator.iter_errors(value), key=lambda e: [str(p) for p in e.absolute_path])
    if not errors:
        return True, "ok: valid JSON matching the schema"
    shown = "; ".join(f"at {_path(error.absolute_path)}: {error.message}" for error in errors[:5])
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    places = "1 place" if len(errors) == 1 else f"{len(errors)} places"
    return False, f"does not match the schema in {places}: {shown}{more}"


def _path(parts: Any) -> str:
    path = "$"
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _validator(schema: Mapping[str, Any]) -> Any:
    try:
        import jsonschema
    except ImportError as err:  # pragma: no cover - jsonschema ships with our dependencies
        raise UsageError(
            "check_json_schema needs the `jsonschema` package: pip install 'jsonschema>=4.0'."
        ) from err
    if not isinstance(schema, Mapping):
        raise UsageError(f"The schema must be a dict, got {type(schema).__name__}.")
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    try:
        cls.check_schema(schema)
    except jsonschema.SchemaError as err:
        raise UsageError(f"The JSON Schema itself is invalid: {err.message}.") from err
    return cls(schema)
