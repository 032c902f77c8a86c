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
  a plain field;
- a list of several elements as its compact JSON text, so ``|contains`` finds any element but
  plain equality matches none of them, and an empty list as ``'[]'``;
- a path that continues into a list of objects (``resources.ARN``) collects the value from every
  element and stores the values by the list rules above;
- a number in the path selects one element of a list (``resources.0.ARN``).
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
    """Turn records into rows of column text for a fixed list of dotted field names.

    Most fields are plain nested keys, so ``row`` walks dictionaries directly and calls the
    general ``lookup`` only when it meets a list or a key that contains a dot.
    """

    def __init__(self, fields: Iterable[str]) -> None:
        self.fields = list(fields)
        self._paths = [_compile_path(field) for field in self.fields]

    def row(self, record: dict[str, Any], row: list[Any] | None = None) -> list[Any]:
        """Return the column text of every field, in the order of ``fields``.

        The values are appended to ``row`` when one is given, so a caller can put its own
        columns first without copying.
        """
        if row is None:
            row = []
        append = row.append
        for parts, joined in self._paths:
            node: Any = record
            for part in parts:
                if type(node) is not dict:
                    node = _walk(record, parts, 0) if type(node) is list else _MISSING
                    break
                node = node.get(part, _MISSING)
                if node is _MISSING:
                    if joined and _has_joined_key(record, parts, joined):
                        node = _walk(record, parts, 0)
                    break
            if node is _MISSING or node is None:
                append(None)
            elif type(node) is str:
                append(node)
            else:
                append(to_text(node))
        return row


def _compile_path(field: str) -> tuple[tuple[str, ...], list[tuple[int, str]]]:
    # (step, key) for every key that joins a step of the path with later ones ("a.b", "a.b.c"),
    # which a record exported from a flat store may use instead of nesting.
    parts = tuple(field.split("."))
    joined = [
        (start, ".".join(parts[start:end]))
        for start in range(len(parts) - 1)
        for end in range(start + 2, len(parts) + 1)
    ]
    return parts, joined


def _has_joined_key(
    record: dict[str, Any], parts: Sequence[str], joined: list[tuple[int, str]]
) -> bool:
    node: Any = record
    step = 0
    for key_step, key in joined:
        while step < key_step:
            node = node.get(parts[step]) if type(node) is dict else None
            step += 1
        if type(node) is dict and key in node:
            return True
    return False
