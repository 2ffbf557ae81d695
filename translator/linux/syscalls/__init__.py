"""Syscall handler families, registered explicitly by kernel name."""
from __future__ import annotations

from . import exec, fs, mm, net, poll, process, sched, signal, sync, time, timer

HANDLERS: dict = {}
for _family in (exec, fs, mm, net, poll, process, sched, signal, sync, time, timer):
    _dup = HANDLERS.keys() & _family.HANDLERS.keys()
    assert not _dup, f"syscall registered twice: {_dup}"
    HANDLERS.update(_family.HANDLERS)
