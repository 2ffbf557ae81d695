"""Guest file descriptors, each backed by a host descriptor.

Guest fd numbers are the guest's own (lowest free first, as the kernel allocates), and
never collide with descriptors pytrans itself holds; guest 0/1/2 start as the streams the
emulator was given.
"""
from __future__ import annotations

import errno
import os


class FdTable:
    """Map guest fd -> host fd."""

    def __init__(self, std: tuple[int, int, int] = (0, 1, 2), limit: int = 1024):
        self.fds: dict[int, int] = {}
        self.limit = limit
        for guest, host in enumerate(std):
            if host is not None and host >= 0:
                try:
                    self.fds[guest] = os.dup(host)
                except OSError:     # started with it closed (`prog <&-`): closed for the guest
                    continue
                os.set_inheritable(self.fds[guest], True)   # as the process inherited it

    def host(self, fd: int) -> int:
        """Host descriptor behind guest ``fd``; EBADF if there is none."""
        try:
            return self.fds[fd]
        except KeyError:
            raise OSError(errno.EBADF, "bad file descriptor") from None

    def lowest_free(self, start: int = 0) -> int:
        fd = start
        while fd in self.fds:
            fd += 1
        if fd >= self.limit:
            raise OSError(errno.EMFILE, "too many open files")
        return fd

    def install(self, host_fd: int, at: int | None = None, start: int = 0) -> int:
        """Give a host descriptor a guest number (the lowest free one, or ``at``)."""
        fd = self.lowest_free(start) if at is None else at
        if at is not None and at in self.fds:
            self.close(at)
        self.fds[fd] = host_fd
        return fd

    def close(self, fd: int) -> None:
        host = self.fds.pop(fd, None)
        if host is None:
            raise OSError(errno.EBADF, "bad file descriptor")
        os.close(host)

    def close_all(self) -> None:
        for fd in list(self.fds):
            try:
                self.close(fd)
            except OSError:
                pass
