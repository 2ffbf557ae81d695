/* 32-bit ARM: the time64 syscalls take struct __kernel_timespec, whose tv_nsec is a 64-bit
 * field of which a 32-bit kernel reads only the low half (glibc leaves the upper half as
 * padding). Garbage there must not turn into EINVAL. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct ts64 { int64_t sec; uint32_t nsec; uint32_t pad; };

int main(int argc, char **argv) {
    struct ts64 t = {0, 1000000, 0xdeadbeef};
    long r = syscall(SYS_clock_nanosleep_time64, CLOCK_MONOTONIC, 0, &t, NULL);
    printf("clock_nanosleep_time64 r=%ld\n", r);
    struct pollfd p = {0, 0, 0};
    t.nsec = 1000;
    r = syscall(SYS_ppoll_time64, &p, 1, &t, NULL, 8);
    printf("ppoll_time64 r=%ld\n", r);
    struct ts64 its[2] = {{0, 0, 0xffffffff}, {0, 5000000, 0x12345678}};
    int tfd = syscall(SYS_timerfd_create, CLOCK_MONOTONIC, 0);
    r = syscall(SYS_timerfd_settime64, tfd, 0, its, NULL);
    uint64_t n = 0;
    read(tfd, &n, 8);
    printf("timerfd_settime64 r=%ld fired=%llu\n", r, (unsigned long long)n);
    struct ts64 times[2] = {{1000000000, 5, 0xabcdef01}, {1000000000, 7, 0x7fffffff}};
    int fd = open(argv[1], O_CREAT | O_WRONLY, 0600);
    r = syscall(SYS_utimensat_time64, AT_FDCWD, argv[1], times, 0);
    struct stat st;
    stat(argv[1], &st);
    printf("utimensat_time64 r=%ld mtime_nsec=%ld\n", r, (long)st.st_mtim.tv_nsec);
    close(fd);
    t.nsec = 1000000000;     /* the low half itself out of range: still EINVAL */
    r = syscall(SYS_clock_nanosleep_time64, CLOCK_MONOTONIC, 0, &t, NULL);
    printf("bad nsec r=%ld errno=%d\n", r, errno);
    return 0;
}
