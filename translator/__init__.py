"""pytrans: run Linux ARM (32-bit ARM/Thumb and AArch64) programs on x86-64 hosts."""
from __future__ import annotations

__version__ = "0.1.0"

from .emulator import Emulator, Termination  # noqa: E402
from .errors import ElfError, PytransError  # noqa: E402

__all__ = ["Emulator", "Termination", "PytransError", "ElfError", "__version__"]
