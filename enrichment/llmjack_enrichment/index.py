"""The compiled feed index: one binary file that the lookup loads without parsing text.

Feeds contribute CIDR prefixes with a label (a small JSON object with a ``category`` such as
``tor``, ``cloud`` or ``asn``). Compilation turns the prefixes of each address family into
sorted, non-overlapping intervals. Each interval points to a label set that keeps, for every
category, the most specific prefix covering it. An address inside both a /12 and a /24 of the
same category gets the /24's label, and a Tor exit inside a cloud range keeps both labels.

File layout (all integers little-endian)::

    header   magic, version, CRC-32 of the body, section counts and sizes
    body     IPv4 interval starts (uint32) and label-set ids (uint32)
             IPv6 interval starts (16 bytes big-endian each) and label-set ids (uint32)
             label-set offsets and members, label offsets, summary offsets (uint32)
             label JSON blob, summary blob (one precomputed verdict text per label set),
             information JSON (feed names and entry counts)

The 52-byte header and the uint32 sections come first, so every array starts 4-byte aligned.

Loading maps the file and reads the arrays in place through ``memoryview.cast``; a label or
summary is decoded only when a lookup returns it.
"""

from __future__ import annotations

import array
import bisect
import json
import mmap
import os
import struct
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llmjack_enrichment.addresses import IPAddress
from llmjack_enrichment.errors import IndexFileError, IndexMissingError

MAGIC = b"LLMJIDX\x00"
VERSION = 1
HEADER = struct.Struct("<8s11I")
NO_LABELS = 0
Label = Mapping[str, Any]
# Turns the labels of one label set into the text stored as that set's summary.
Summariser = Callable[[Sequence[Label]], str]


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
    summaries: list[str]


def compile_entries(
    entries: Iterable[IndexEntry],
    info: Mapping[str, Any] | None = None,
    summarise: Summariser | None = None,
) -> bytes:
    """Compile feed prefixes into the bytes of an index file.

    ``summarise`` precomputes a text per label set (the classifier's verdict), so a lookup
    decodes one short string instead of every label of the set.
    """
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
    label_texts = list(labels)
    summaries = []
    if summarise is not None:
        decoded = [json.loads(text) for text in label_texts]
        summaries = [summarise([decoded[i] for i in label_set]) for label_set in label_sets]
    tables = _Tables(starts4, values4, starts6, values6, label_sets, label_texts, summaries)
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
    encoded_labels, label_offsets = _encode_texts(tables.labels)
    encoded_summaries, summary_offsets = _encode_texts(tables.summaries)
    info_blob = json.dumps(info, sort_keys=True).encode("utf-8")

    sections = [
        _pack(code, starts4),
        _pack(code, values4),
        b"".join(start.to_bytes(16, "big") for start, _ in pairs6),
        _pack(code, [value for _, value in pairs6]),
        _pack(code, set_offsets),
        _pack(code, members),
        _pack(code, label_offsets),
        _pack(code, summary_offsets),
        b"".join(encoded_labels),
        b"".join(encoded_summaries),
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
        len(encoded_summaries),
        summary_offsets[-1],
        len(info_blob),
    )
    return header + body


def _encode_texts(texts: Sequence[str]) -> tuple[list[bytes], list[int]]:
    encoded = [text.encode("utf-8") for text in texts]
    offsets = [0]
    for item in encoded:
        offsets.append(offsets[-1] + len(item))
    return encoded, offsets


def _pack(code: str, values: Sequence[int]) -> bytes:
    packed = array.array(code, values)
    if sys.byteorder == "big":
        packed.byteswap()
    return packed.tobytes()


class _Starts6:
    """The IPv6 interval starts as a sequence of 16-byte keys, for bisect without copying."""

    def __init__(self, blob: memoryview) -> None:
        self._blob = blob

    def __len__(self) -> int:
        return len(self._blob) // 16

    def __getitem__(self, position: int) -> bytes:
        offset = position * 16
        return bytes(self._blob[offset : offset + 16])


class FeedIndex:
    """A loaded index: interval tables per address family and lazily decoded labels.

    ``load`` maps the file into memory, so opening even a large index costs well under a
    millisecond and only the pages a lookup touches are read. It checks the header, the section
    sizes and the offset tables. The CRC-32 over the whole body is checked only with
    ``verify=True`` (``llmjack feeds status``, the tests), because reading every page would
    cost tens of milliseconds on each lookup start.
    """

    def __init__(self, data: bytes | mmap.mmap, source: str, verify: bool = True) -> None:
        self.source = source
        self._labels: dict[int, Label] = {}
        self._data = data
        self._read(memoryview(data), verify)

    @classmethod
    def load(cls, path: Path, verify: bool = False) -> FeedIndex:
        """Map an index file, raising IndexFileError when it is missing or damaged."""
        try:
            with path.open("rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                if size < HEADER.size:
                    raise IndexFileError(f"{path} is not a llmjack index (too short)")
                # NOTE: Windows cannot replace a mapped file, so there `feeds update` fails to
                # swap the index while a lookup has it open.
                data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except FileNotFoundError:
            raise IndexMissingError(
                f"no feed index at {path}: run `llmjack feeds update` or `llmjack feeds compile`"
            ) from None
        except (OSError, ValueError) as error:
            raise IndexFileError(f"cannot read index {path}: {error}") from None
        return cls(data, str(path), verify)

    def _read(self, view: memoryview, verify: bool) -> None:
        if len(view) < HEADER.size or bytes(view[:8]) != MAGIC:
            raise IndexFileError(f"{self.source} is not a llmjack index (bad magic)")
        fields = HEADER.unpack_from(view)
        _, version, checksum, n4, n6, nsets, nmembers, nlabels, blob_len = fields[:9]
        nsummaries, summary_len, info_len = fields[9:]
        if version != VERSION:
            raise IndexFileError(
                f"{self.source} has index version {version}, expected {VERSION}: "
                "run `llmjack feeds compile` again"
            )
        body = view[HEADER.size :]
        sizes = [4 * n4, 4 * n4, 16 * n6, 4 * n6, 4 * (nsets + 1), 4 * nmembers]
        sizes += [4 * (nlabels + 1), 4 * (nsummaries + 1), blob_len, summary_len, info_len]
        if len(body) != sum(sizes):
            raise IndexFileError(f"{self.source} is truncated or has trailing bytes")
        if verify and zlib.crc32(body) != checksum:
            raise IndexFileError(f"{self.source} is corrupt (checksum mismatch)")

        parts: list[memoryview] = []
        offset = 0
        for size in sizes:
            parts.append(body[offset : offset + size])
            offset += size
        self._starts4 = _uint32_view(parts[0])
        self._values4 = _uint32_view(parts[1])
        self._starts6 = _Starts6(parts[2])
        self._values6 = _uint32_view(parts[3])
        self._set_offsets = _uint32_view(parts[4])
        self._members = _uint32_view(parts[5])
        self._label_offsets = _uint32_view(parts[6])
        self._summary_offsets = _uint32_view(parts[7])
        self._label_blob = parts[8]
        self._summary_blob = parts[9]
        self.has_summaries = nsummaries > 0
        ends = (self._set_offsets[-1], self._label_offsets[-1], self._summary_offsets[-1])
        if ends != (nmembers, blob_len, summary_len):
            raise IndexFileError(f"{self.source} is corrupt (offset tables do not match)")
        try:
            self.info: dict[str, Any] = json.loads(bytes(parts[10]).decode("utf-8") or "{}")
        except ValueError:
            raise IndexFileError(f"{self.source} is corrupt (information block)") from None

    def lookup(self, address: IPAddress) -> tuple[Label, ...]:
        """Return the labels of every category whose prefixes cover the address."""
        return self._label_set(self._set_id(address))

    def summary(self, address: IPAddress) -> str:
        """Return the precomputed summary of the address's label set ("" when none is stored)."""
        set_id = self._set_id(address)
        if not self.has_summaries:
            return ""
        first, end = self._summary_offsets[set_id], self._summary_offsets[set_id + 1]
        return bytes(self._summary_blob[first:end]).decode("utf-8")

    def _set_id(self, address: IPAddress) -> int:
        if address.version == 4:
            position = bisect.bisect_right(self._starts4, int(address)) - 1
            return self._values4[position] if position >= 0 else NO_LABELS
        position = bisect.bisect_right(self._starts6, address.packed) - 1
        return self._values6[position] if position >= 0 else NO_LABELS

    def _label_set(self, set_id: int) -> tuple[Label, ...]:
        first, end = self._set_offsets[set_id], self._set_offsets[set_id + 1]
        return tuple(self._label(self._members[i]) for i in range(first, end))

    def _label(self, label_id: int) -> Label:
        label = self._labels.get(label_id)
        if label is None:
            first, end = self._label_offsets[label_id], self._label_offsets[label_id + 1]
            try:
                label = json.loads(bytes(self._label_blob[first:end]).decode("utf-8"))
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


def _uint32_view(view: memoryview) -> Sequence[int]:
    """Return the little-endian uint32 section as a sequence, without a copy where possible."""
    if sys.byteorder == "little":
        return view.cast("I")
    values = array.array(_uint32_typecode())
    values.frombytes(view)
    values.byteswap()
    return values


def label_text(label: Mapping[str, Any]) -> str:
    """Encode a label canonically, so equal labels share one entry in the label table."""
    return json.dumps(dict(label), sort_keys=True, separators=(",", ":"))
