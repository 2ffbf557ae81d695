"""Declarative guest struct layouts.

A :class:`Layout` is a named list of (field, struct-format) pairs, little-endian, with
padding written out explicitly (``""`` field names) exactly as the kernel's UAPI header
lays the struct out for that architecture. Per-architecture instances live in
``frontends/<arch>/abi.py``; ``tests/test_structs.py`` checks them against the cross
compilers' own ``sizeof``/``offsetof``.
"""
from __future__ import annotations

import struct
from typing import Any


class Layout:
    """A guest C struct: pack from keyword fields (missing ones are 0), unpack to a dict."""

    def __init__(self, name: str, fields: list[tuple[str, str]]):
        self.name = name
        self.fields = fields
        self.names = [f for f, _ in fields if f]
        self._struct = struct.Struct("<" + "".join(fmt for _, fmt in fields))
        self.size = self._struct.size
        self.offsets: dict[str, int] = {}
        # Array fields ("3I") take and give tuples; everything else a single value.
        self._counts: dict[str, int] = {}
        off = 0
        for f, fmt in fields:
            if f:
                self.offsets[f] = off
                digits = fmt[:-1]
                self._counts[f] = int(digits) if digits and fmt[-1] != "s" else 1
            off += struct.calcsize("<" + fmt)

    def pack(self, **values: Any) -> bytes:
        unknown = set(values) - set(self.names)
        if unknown:
            raise KeyError(f"{self.name} has no field(s) {sorted(unknown)}")
        flat: list[Any] = []
        for n, fmt in self.fields:
            if not n:
                continue
            v = values.get(n, 0)
            if self._counts[n] > 1:
                items = list(v) if v else []
                items += [0] * (self._counts[n] - len(items))
                flat.extend(_fit(x, fmt) for x in items)
            else:
                flat.append(_fit(v, fmt) if fmt[-1] != "s" else (v or b""))
        return self._struct.pack(*flat)

    def unpack(self, data: bytes) -> dict[str, Any]:
        flat = list(self._struct.unpack(data[:self.size]))
        out: dict[str, Any] = {}
        i = 0
        for n in self.names:
            c = self._counts[n]
            out[n] = tuple(flat[i:i + c]) if c > 1 else flat[i]
            i += c
        return out

    def __repr__(self) -> str:
        return f"Layout({self.name}, size={self.size})"


def _fit(value: Any, fmt: str) -> Any:
    """Wrap integers to the field width so host values (e.g. 64-bit inode numbers on a
    32-bit field) truncate the way the kernel's assignment would instead of raising."""
    if isinstance(value, int) and fmt[-1] in "bBhHiIlLqQ":
        bits = struct.calcsize("<" + fmt[-1]) * 8
        value &= (1 << bits) - 1
        if fmt[-1].islower() and value >> (bits - 1):
            value -= 1 << bits
    return value
