"""Errors that pytrans reports to its user as one line starting with ``pytrans:``."""
from __future__ import annotations


class PytransError(Exception):
    """A user-facing error: bad input, missing file, unsupported program."""


class ElfError(PytransError):
    """The program is not a loadable ELF file for a supported guest."""
