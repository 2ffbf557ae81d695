/* ARM-only legacy entry points: utimes/futimesat (struct timeval pairs) and nice(2), which
 * the kernel answers with 0 (not the new nice value). Usage: legacy_calls FILE */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/resource.h>
#include <unistd.h>
int main(int argc, char **argv) {
    int fd = open(argv[1], O_CREAT | O_WRONLY, 0600); close(fd);
    struct timeval tv[2] = {{1000000000, 250000}, {1200000000, 750000}};
    long r = syscall(SYS_utimes, argv[1], tv);
    struct stat st; stat(argv[1], &st);
    printf("utimes r=%ld atime=%ld.%09ld mtime=%ld.%09ld\n", r, (long)st.st_atim.tv_sec, st.st_atim.tv_nsec, (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    tv[0].tv_usec = 1000000;
    r = syscall(SYS_futimesat, AT_FDCWD, argv[1], tv);
    printf("futimesat bad usec r=%ld einval=%d\n", r, errno == EINVAL);
    int before = getpriority(0, 0);
    r = syscall(SYS_nice, 3);
    printf("nice r=%ld delta=%d\n", r, getpriority(0, 0) - before);
    r = syscall(SYS_nice, 100);
    printf("nice clamp r=%ld now=%d\n", r, getpriority(0, 0));
    return 0;
}
