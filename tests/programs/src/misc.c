/* misc: process identity and assorted small syscalls.  Values that vary
 * between machines are printed as booleans; argv[1] (optional) is the
 * expected uid, so a wrong getuid() shows up. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <errno.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/stat.h>
#include <sched.h>

int main(int argc, char **argv)
{
    pid_t pid = getpid();
    printf("getpid > 0: %d\n", pid > 0);
    printf("getppid > 0: %d, != pid: %d\n", getppid() > 0, getppid() != pid);
    printf("gettid == getpid: %d\n", (pid_t)syscall(SYS_gettid) == pid);
    printf("uid==euid: %d gid==egid: %d\n", getuid() == geteuid(), getgid() == getegid());
    if (argc > 1)
        printf("uid matches expected: %d\n", (long)getuid() == atol(argv[1]));
    printf("sysconf(_SC_PAGESIZE) = %ld\n", sysconf(_SC_PAGESIZE));
    printf("getpagesize() = %d\n", getpagesize());
    printf("AT_PAGESZ = %lu\n", getauxval(AT_PAGESZ));
    printf("AT_RANDOM set: %d\n", getauxval(AT_RANDOM) != 0);
    printf("AT_PHDR set: %d\n", getauxval(AT_PHDR) != 0);
    printf("_SC_CLK_TCK = %ld\n", sysconf(_SC_CLK_TCK));
    printf("_SC_NPROCESSORS_ONLN >= 1: %d\n", sysconf(_SC_NPROCESSORS_ONLN) >= 1);

    unsigned char buf[64];
    memset(buf, 0, sizeof buf);
    ssize_t n = getrandom(buf, sizeof buf, 0);
    int nonzero = 0;
    for (int i = 0; i < (int)sizeof buf; i++) if (buf[i]) nonzero++;
    printf("getrandom returned %zd, has non-zero bytes: %d\n", n, nonzero > 0);
    unsigned char buf2[64];
    getrandom(buf2, sizeof buf2, 0);
    printf("two getrandom calls differ: %d\n", memcmp(buf, buf2, sizeof buf) != 0);

    struct timespec res;
    int r = clock_getres(CLOCK_MONOTONIC, &res);
    printf("clock_getres(MONOTONIC): %d, 0 < res <= 10ms: %d\n", r,
           res.tv_sec == 0 && res.tv_nsec > 0 && res.tv_nsec <= 10000000);
    r = clock_getres(CLOCK_REALTIME, &res);
    printf("clock_getres(REALTIME): %d, 0 < res <= 10ms: %d\n", r,
           res.tv_sec == 0 && res.tv_nsec > 0 && res.tv_nsec <= 10000000);

    struct rlimit rl;
    printf("getrlimit(NOFILE): %d, cur >= 64: %d\n", getrlimit(RLIMIT_NOFILE, &rl),
           rl.rlim_cur >= 64);
    printf("getrlimit(STACK): %d\n", getrlimit(RLIMIT_STACK, &rl));

    char host[256];
    printf("gethostname: %d\n", gethostname(host, sizeof host));
    mode_t old = umask(027);
    mode_t now = umask(old);
    printf("umask reads back: %o\n", (unsigned)now);

    errno = 0;
    printf("close(-1): %d %s\n", close(-1), errno == EBADF ? "EBADF" : "other");
    printf("isatty(stdin of pipe/file): %d\n", isatty(5));
    printf("sched_yield: %d\n", sched_yield());
    return 0;
}
