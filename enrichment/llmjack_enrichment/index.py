"""The compiled feed index: one binary file that the lookup loads without parsing text.

Feeds contribute CIDR prefixes with a label (a small JSON object with a ``category`` such as
``tor``, ``cloud`` or ``asn``). Compilation turns the prefixes of each address family into
sorted, non-overlapping intervals. Each interval points to a label set that keeps, for every
category, the most specific prefix covering it, so an address inside both a /12 and a /24 of
the same category gets the /24's label, while a Tor exit inside a cloud range keeps both.

File layout (all integers little-endian)::

    header   magic, version, CRC-32 of the body, section counts and sizes
    body     IPv4 interval starts (uint32) and label-set ids (uint32)
             IPv6 interval starts (16 bytes big-endian each) and label-set ids (uint32)
             label-set offsets and members (uint32), label offsets (uint32), label JSON blob,
             information JSON (feed names and entry counts)

Loading copies the arrays with ``array.frombytes`` and decodes a label only when a lookup
returns it, so load time grows with the file size, not with the number of labels.
"""

from __future__ import annotations

import array
import bisect
import json
import struct
import sys
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llmjack_enrichment.addresses import IPAddress
from llmjack_enrichment.errors import IndexFileError, IndexMissingError

MAGIC = b"LLMJIDX\x00"
VERSION = 1
HEADER = struct.Struct("<8sIIIIIIIII")
NO_LABELS = 0
Label = Mapping[str, Any]


def _uint32_typecode() -> str:
    for code in ("I", "L"):
        if array.array(code).itemsize == 4:
            return code
    raise IndexFileError("this platform has no 32-bit unsigned array type")


@dataclass(frozen=True)
class IndexEntry:
    """One prefix from a feed. At equal prefixes of one category, the higher rank wins."""

    version: int
    first: int
    prefixlen: int
    label: str
    rank: int = 0


@dataclass
class _Tables:
    starts4: list[int]
    values4: list[int]
    starts6: list[int]
    values6: list[int]
    label_sets: list[tuple[int, ...]]
    labels: list[str]


def compile_entries(entries: Iterable[IndexEntry], info: Mapping[str, Any] | None = None) -> bytes:
    """Compile feed prefixes into the bytes of an index file."""
    labels: dict[str, int] = {}
    categories: dict[int, str] = {}
    rows: dict[int, list[tuple[int, int, int, int, int]]] = {4: [], 6: []}

    for entry in entries:
        label_id = labels.get(entry.label)
        if label_id is None:
            label_id = labels[entry.label] = len(labels)
            categories[label_id] = json.loads(entry.label).get("category", "")
        bits = 32 if entry.version == 4 else 128
        last = entry.first | ((1 << (bits - entry.prefixlen)) - 1)
        rows[entry.version].append((entry.first, entry.prefixlen, entry.rank, label_id, last))

    set_ids: dict[tuple[int, ...], int] = {(): NO_LABELS}
    starts4, values4 = _intervals(rows[4], categories, set_ids)
    starts6, values6 = _intervals(rows[6], categories, set_ids)
    label_sets = sorted(set_ids, key=set_ids.__getitem__)
    tables = _Tables(starts4, values4, starts6, values6, label_sets, list(labels))
    return _serialise(tables, dict(info or {}))


def _intervals(
    rows: list[tuple[int, int, int, int, int]],
    categories: Mapping[int, str],
    set_ids: dict[tuple[int, ...], int],
) -> tuple[list[int], list[int]]:
    # CIDR prefixes are either nested or disjoint, so a stack walk over prefixes sorted by
    # start and then by size (largest first) visits every boundary once.
    rows.sort()
    boundaries: dict[int, int] = {0: NO_LABELS}
    stack: list[tuple[int, int, int, int, int]] = []

    def set_id() -> int:
        chosen: dict[str, int] = {}
        for row in reversed(stack):
            chosen.setdefault(categories[row[3]], row[3])
        key = tuple(sorted(chosen.values()))
        return set_ids.setdefault(key, len(set_ids))

    def close_before(position: int) -> None:
        while stack and stack[-1][4] < position:
            closed = stack.pop()
            boundaries[closed[4] + 1] = set_id()

    for row in rows:
        close_before(row[0])
        stack.append(row)
        boundaries[row[0]] = set_id()
    close_before(1 << 129)

    starts: list[int] = []
    values: list[int] = []
    for start in sorted(boundaries):
        if values and values[-1] == boundaries[start]:
            continue
        starts.append(start)
        values.append(boundaries[start])
    # A boundary one past the family's last address carries no information.
    return starts, values


def _serialise(tables: _Tables, info: dict[str, Any]) -> bytes:
    code = _uint32_typecode()
    starts4 = [start for start in tables.starts4 if start <= 0xFFFFFFFF]
    values4 = tables.values4[: len(starts4)]
    pairs6 = [pair for pair in zip(tables.starts6, tables.values6) if pair[0] < 1 << 128]  # noqa: B905
    set_offsets = [0]
    members: list[int] = []
    for label_set in tables.label_sets:
        members.extend(label_set)
        set_offsets.append(len(members))
    encoded_labels = [label.encode("utf-8") for label in tables.labels]
    label_offsets = [0]
    for encoded in encoded_labels:
        label_offsets.append(label_offsets[-1] + len(encoded))
    info_blob = json.dumps(info, sort_keys=True).encode("utf-8")

    sections = [
        _pack(code, starts4),
        _pack(code, values4),
        b"".join(start.to_bytes(16, "big") for start, _ in pairs6),
        _pack(code, [value for _, value in pairs6]),
        _pack(code, set_offsets),
        _pack(code, members),
        _pack(code, label_offsets),
        b"".join(encoded_labels),
        info_blob,
    ]
    body = b"".join(sections)
    header = HEADER.pack(
        MAGIC,
        VERSION,
        zlib.crc32(body),
        len(starts4),
        len(pairs6),
        len(tables.label_sets),
        len(members),
        len(encoded_labels),
        label_offsets[-1],
        len(info_blob),
    )
    return header + body


def _pack(code: str, values: Sequence[int]) -> bytes:
    packed = array.array(code, values)
    if sys.byteorder == "big":
        packed.byteswap()
    return packed.tobytes()


class _Starts6:
    """The IPv6 interval starts as a sequence of 16-byte keys, for bisect without copying."""

    def __init__(self, blob: bytes) -> None:
        self._blob = blob

    def __len__(self) -> int:
        return len(self._blob) // 16

    def __getitem__(self, position: int) -> bytes:
        offset = position * 16
        return self._blob[offset : offset + 16]


class FeedIndex:
    """A loaded index: interval tables per address family and lazily decoded labels."""

    def __init__(self, data: bytes, source: str) -> None:
        self.source = source
        self._labels: dict[int, Label] = {}
        self._read(data)

    @classmethod
    def load(cls, path: Path) -> FeedIndex:
        """Load an index file, raising IndexFileError when it is missing or damaged."""
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise IndexMissingError(
                f"no feed index at {path}: run `llmjack feeds update` or `llmjack feeds compile`"
            ) from None
        except OSError as error:
            raise IndexFileError(f"cannot read index {path}: {error.strerror}") from None
        return cls(data, str(path))

    def _read(self, data: bytes) -> None:
        if len(data) < HEADER.size or data[:8] != MAGIC:
            raise IndexFileError(f"{self.source} is not a llmjack index (bad magic)")
        fields = HEADER.unpack_from(data)
        _, version, checksum, n4, n6, nsets, nmembers, nlabels, blob_len, info_len = fields
        if version != VERSION:
            raise IndexFileError(
                f"{self.source} has index version {version}, expected {VERSION}: "
                "run `llmjack feeds compile` again"
            )
        body = memoryview(data)[HEADER.size :]
        sizes = [4 * n4, 4 * n4, 16 * n6, 4 * n6, 4 * (nsets + 1), 4 * nmembers]
        sizes += [4 * (nlabels + 1), blob_len, info_len]
        if len(body) != sum(sizes):
            raise IndexFileError(f"{self.source} is truncated or has trailing bytes")
        if zlib.crc32(body) != checksum:
            raise IndexFileError(f"{self.source} is corrupt (checksum mismatch)")

        parts: list[memoryview] = []
        offset = 0
        for size in sizes:
            parts.append(body[offset : offset + size])
            offset += size
        code = _uint32_typecode()
        self._starts4 = _unpack(code, parts[0])
        self._values4 = _unpack(code, parts[1])
        self._starts6 = _Starts6(bytes(parts[2]))
        self._values6 = _unpack(code, parts[3])
        self._set_offsets = _unpack(code, parts[4])
        self._members = _unpack(code, parts[5])
        self._label_offsets = _unpack(code, parts[6])
        self._label_blob = bytes(parts[7])
        self.info: dict[str, Any] = json.loads(bytes(parts[8]).decode("utf-8") or "{}")

    def lookup(self, address: IPAddress) -> tuple[Label, ...]:
        """Return the labels of every category whose prefixes cover the address."""
        if address.version == 4:
            position = bisect.bisect_right(self._starts4, int(address)) - 1
            set_id = self._values4[position] if position >= 0 else NO_LABELS
        else:
            position = bisect.bisect_right(self._starts6, address.packed) - 1
            set_id = self._values6[position] if position >= 0 else NO_LABELS
        return self._label_set(set_id)

    def _label_set(self, set_id: int) -> tuple[Label, ...]:
        first, end = self._set_offsets[set_id], self._set_offsets[set_id + 1]
        return tuple(self._label(self._members[i]) for i in range(first, end))

    def _label(self, label_id: int) -> Label:
        label = self._labels.get(label_id)
        if label is None:
            first, end = self._label_offsets[label_id], self._label_offsets[label_id + 1]
            try:
                label = json.loads(self._label_blob[first:end].decode("utf-8"))
            except ValueError:
                raise IndexFileError(f"{self.source} has a damaged label {label_id}") from None
            self._labels[label_id] = label
        return label

    def intervals(self) -> Iterator[tuple[int, int, int, tuple[Label, ...]]]:
        """Yield (version, first, last, labels) for every interval that carries labels."""
        families = (
            (4, list(self._starts4), self._values4, 1 << 32),
            (6, [int.from_bytes(s, "big") for s in _iter6(self._starts6)], self._values6, 1 << 128),
        )
        for version, starts, values, limit in families:
            for position, start in enumerate(starts):
                if values[position] == NO_LABELS:
                    continue
                end = starts[position + 1] if position + 1 < len(starts) else limit
                yield version, start, end - 1, self._label_set(values[position])

    @property
    def interval_count(self) -> int:
        """Number of intervals in both families, including those without labels."""
        return len(self._starts4) + len(self._starts6)


def _iter6(starts: _Starts6) -> Iterator[bytes]:
    for position in range(len(starts)):
        yield starts[position]


def _unpack(code: str, view: memoryview) -> array.array:
    values = array.array(code)
    values.frombytes(view)
    if sys.byteorder == "big":
        values.byteswap()
    return values


def label_text(label: Mapping[str, Any]) -> str:
    """Encode a label canonically, so equal labels share one entry in the label table."""
    return json.dumps(dict(label), sort_keys=True, separators=(",", ":"))
