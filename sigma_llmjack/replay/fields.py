"""Read dotted Sigma field names (``userIdentity.arn``) out of nested log records.

A field name is a path through nested objects: ``requestParameters.modelId`` is
``record["requestParameters"]["modelId"]``. A key that itself contains dots (``{"a.b": 1}``, as in
documents exported from Elastic) is found too, because each step tries the longer keys as well.

Values are stored as text so that ``COLLATE NOCASE`` gives Sigma's case-insensitive matching:

- strings as they are; JSON ``true``/``false`` as ``'true'``/``'false'``, which is what the sqlite
  backend compares booleans with; numbers in their JSON spelling (``-1``, ``0.5``);
- JSON ``null`` and a missing key as SQL NULL, so ``field: null`` matches both, as Sigma means;
- an object as its compact JSON text;
- a list with one element as that element, so ``resources.ARN`` of a one-resource event reads like
  a plain field; a list of several elements as its compact JSON text, so ``|contains`` finds any
  element but plain equality matches none of them; an empty list as ``'[]'``;
- a path that continues into a list of objects (``resources.ARN``) collects the value from every
  element and stores it by the list rule above; a number in the path selects one element
  (``resources.0.ARN``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

_MISSING = object()


def to_text(value: Any) -> str | None:
    """Convert one JSON value to the text stored in its column, or None for null."""
    if isinstance(value, str):
        return value
    if value is None:
        return None
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, list):
        if len(value) == 1:
            return to_text(value[0])
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def lookup(record: Any, parts: Sequence[str]) -> Any:
    """Return the value at the dotted path ``parts`` in ``record``, or None if it is absent."""
    value = _walk(record, parts, 0)
    return None if value is _MISSING else value


def _walk(node: Any, parts: Sequence[str], start: int) -> Any:
    if start == len(parts):
        return node
    if isinstance(node, Mapping):
        return _walk_mapping(node, parts, start)
    if isinstance(node, list):
        return _walk_list(node, parts, start)
    return _MISSING


def _walk_mapping(node: Mapping[str, Any], parts: Sequence[str], start: int) -> Any:
    # Nested objects are the common case, so the one-part key is tried first.
    for end in range(start + 1, len(parts) + 1):
        key = parts[start] if end == start + 1 else ".".join(parts[start:end])
        if key in node:
            value = _walk(node[key], parts, end)
            if value is not _MISSING:
                return value
    return _MISSING


def _walk_list(node: list[Any], parts: Sequence[str], start: int) -> Any:
    part = parts[start]
    if part.isdigit():
        index = int(part)
        return _walk(node[index], parts, start + 1) if index < len(node) else _MISSING

    found = []
    for element in node:
        value = _walk(element, parts, start)
        if value is not _MISSING and value is not None:
            found.append(value)
    if not found:
        return _MISSING
    return found[0] if len(found) == 1 else found


class FieldExtractor:
    """Turn records into rows of column text for a fixed list of dotted field names."""

    def __init__(self, fields: Iterable[str]) -> None:
        self.fields = list(fields)
        self._paths = [tuple(field.split(".")) for field in self.fields]

    def row(self, record: Mapping[str, Any]) -> list[str | None]:
        """Return the column text of every field, in the order of ``fields``."""
        row: list[str | None] = []
        for parts in self._paths:
            value = record.get(parts[0], _MISSING) if len(parts) == 1 else _MISSING
            if value is _MISSING:
                value = _walk(record, parts, 0)
            row.append(None if value is _MISSING else to_text(value))
        return row
