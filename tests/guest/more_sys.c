/* Assorted syscalls real programs use: timerfd, inotify, prctl names, memfd_create,
 * sendfile, copy_file_range, splice/tee, statfs, utimensat, flock, fallocate, sched_*,
 * getcpu, membarrier, personality, getrusage/times. Usage: more_sys DIR (scratch dir). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/xattr.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>

#define CHECK(x) do { if ((x) < 0) { printf("FAIL %s: %s\n", #x, strerror(errno)); exit(1); } } while (0)

static char dir[512];

static const char *in_dir(const char *name) {
    static char buf[4][600];
    static int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof buf[i], "%s/%s", dir, name);
    return buf[i];
}

static void timerfd(void) {
    int t = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    CHECK(t);
    struct itimerspec its = {{0, 20 * 1000 * 1000}, {0, 20 * 1000 * 1000}}, old, cur;
    CHECK(timerfd_settime(t, 0, &its, &old));
    printf("timerfd old value zero=%d\n", old.it_value.tv_sec == 0 && old.it_value.tv_nsec == 0);
    CHECK(timerfd_gettime(t, &cur));
    printf("timerfd gettime interval=%ldns armed=%d\n", (long)cur.it_interval.tv_nsec,
           cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 20000000);
    struct timespec nap = {0, 110 * 1000 * 1000};
    nanosleep(&nap, NULL);
    uint64_t n = 0;
    CHECK(read(t, &n, sizeof n));
    /* 110 ms at 20 ms: 5 expirations, more only if the sleep overshot on a loaded machine. */
    printf("timerfd expirations>=4: %d (sane: %d)\n", n >= 4, n < 1000);
    /* A one-shot absolute timer in the past fires at once; nonblocking read after it: EAGAIN. */
    int u = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct itimerspec abs = {{0, 0}, {now.tv_sec - 1, 0}};
    CHECK(timerfd_settime(u, TFD_TIMER_ABSTIME, &abs, NULL));
    n = 0;
    CHECK(read(u, &n, sizeof n));
    int r = read(u, &n, sizeof n);
    printf("timerfd abstime past n=%llu then r=%d eagain=%d\n", (unsigned long long)n, r, errno == EAGAIN);
    struct itimerspec bad = {{0, 0}, {0, 2000000000}};
    printf("timerfd bad nsec r=%d einval=%d\n", timerfd_settime(u, 0, &bad, NULL), errno == EINVAL);
    close(t);
    close(u);
}

static void inotify(void) {
    int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    CHECK(in);
    int wd = inotify_add_watch(in, dir, IN_CREATE | IN_DELETE);
    CHECK(wd);
    char buf[4096] __attribute__((aligned(8)));
    int r = read(in, buf, sizeof buf);
    printf("inotify empty r=%d eagain=%d\n", r, errno == EAGAIN);
    int fd = open(in_dir("watched.txt"), O_CREAT | O_WRONLY, 0644);
    close(fd);
    unlink(in_dir("watched.txt"));
    ssize_t n = read(in, buf, sizeof buf);
    for (char *p = buf; n > 0 && p < buf + n;) {
        struct inotify_event *e = (struct inotify_event *)p;
        printf("inotify event wd_ok=%d %s%s name=%s\n", e->wd == wd,
               e->mask & IN_CREATE ? "IN_CREATE" : "", e->mask & IN_DELETE ? "IN_DELETE" : "",
               e->len ? e->name : "");
        p += sizeof *e + e->len;
    }
    printf("inotify rm_watch=%d\n", inotify_rm_watch(in, wd));
    printf("inotify rm again r=%d einval=%d\n", inotify_rm_watch(in, wd), errno == EINVAL);
    close(in);
}

static void names(void) {
    char name[32] = {0};
    CHECK(prctl(PR_SET_NAME, "pytrans-guest-name-long"));
    CHECK(prctl(PR_GET_NAME, name));
    printf("prctl name=%s\n", name);
    CHECK(prctl(PR_SET_PDEATHSIG, 9));
    int sig = 0;
    CHECK(prctl(PR_GET_PDEATHSIG, &sig));
    printf("prctl pdeathsig=%d dumpable=%d\n", sig, prctl(PR_GET_DUMPABLE));
    CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
    printf("prctl no_new_privs=%d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
    printf("prctl bad option r=%d einval=%d\n", prctl(0x7fff0000, 0, 0, 0, 0), errno == EINVAL);
}

static void files(void) {
    int m = memfd_create("pytrans-memfd", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    CHECK(m);
    CHECK(ftruncate(m, 12345));
    struct stat st;
    CHECK(fstat(m, &st));
    printf("memfd size=%lld cloexec=%d\n", (long long)st.st_size, (fcntl(m, F_GETFD) & FD_CLOEXEC) != 0);
    CHECK(fcntl(m, F_ADD_SEALS, F_SEAL_SHRINK));
    printf("memfd sealed shrink r=%d eperm=%d\n", ftruncate(m, 10), errno == EPERM);
    char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, m, 0);
    strcpy(p, "written through a shared mapping");
    char back[40] = {0};
    CHECK(pread(m, back, 32, 0));
    printf("memfd mmap: %s\n", back);
    munmap(p, 4096);

    int src = open(in_dir("src.txt"), O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(src);
    const char text[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    CHECK(write(src, text, sizeof text - 1));
    int dst = open(in_dir("dst.txt"), O_RDWR | O_CREAT | O_TRUNC, 0644);
    off_t off = 10;
    ssize_t n = sendfile(dst, src, &off, 6);
    printf("sendfile n=%d off=%ld\n", (int)n, (long)off);
    loff_t in_off = 30, out_off = 6;
    n = copy_file_range(src, &in_off, dst, &out_off, 6, 0);
    printf("copy_file_range n=%d in_off=%lld out_off=%lld\n", (int)n, (long long)in_off, (long long)out_off);
    char buf[64] = {0};
    CHECK(pread(dst, buf, sizeof buf - 1, 0));
    printf("dst=%s\n", buf);

    int pfd[2], qfd[2];
    CHECK(pipe(pfd));
    CHECK(pipe(qfd));
    loff_t soff = 0;
    n = splice(src, &soff, pfd[1], NULL, 10, 0);
    printf("splice n=%d soff=%lld\n", (int)n, (long long)soff);
    n = tee(pfd[0], qfd[1], 10, 0);
    printf("tee n=%d\n", (int)n);
    memset(buf, 0, sizeof buf);
    CHECK(read(qfd[0], buf, 10));
    printf("tee copy=%s", buf);
    memset(buf, 0, sizeof buf);
    CHECK(read(pfd[0], buf, 10));
    printf(" original=%s\n", buf);

    CHECK(flock(src, LOCK_EX | LOCK_NB));
    int again = open(in_dir("src.txt"), O_RDONLY);
    int r = flock(again, LOCK_SH | LOCK_NB);
    printf("flock conflicting r=%d ewouldblock=%d\n", r, errno == EWOULDBLOCK);
    CHECK(flock(src, LOCK_UN));
    printf("flock after unlock=%d\n", flock(again, LOCK_SH | LOCK_NB));
    CHECK(fallocate(dst, 0, 0, 100000));
    CHECK(fstat(dst, &st));
    printf("fallocate size=%lld\n", (long long)st.st_size);
    CHECK(posix_fadvise(dst, 0, 0, POSIX_FADV_SEQUENTIAL));
    CHECK(readahead(dst, 0, 4096));
    CHECK(fdatasync(dst));
    CHECK(syncfs(dst));
    CHECK(sync_file_range(dst, 0, 4096, SYNC_FILE_RANGE_WRITE));
    printf("fadvise/readahead/fdatasync/syncfs/sync_file_range ok\n");

    struct timespec ts[2] = {{1000000000, 123456789}, {1234567890, 987654321}};
    CHECK(utimensat(AT_FDCWD, in_dir("dst.txt"), ts, 0));
    CHECK(stat(in_dir("dst.txt"), &st));
    printf("utimensat atime=%lld.%09ld mtime=%lld.%09ld\n", (long long)st.st_atim.tv_sec,
           st.st_atim.tv_nsec, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    struct timespec omit[2] = {{0, UTIME_OMIT}, {0, UTIME_NOW}};
    CHECK(futimens(dst, omit));
    CHECK(fstat(dst, &st));
    printf("futimens atime kept=%d mtime now=%d\n", st.st_atim.tv_sec == 1000000000,
           st.st_mtim.tv_sec > 1600000000);

    struct statfs sf;
    CHECK(statfs(dir, &sf));
    struct statfs sf2;
    CHECK(fstatfs(src, &sf2));
    printf("statfs sane=%d same_fs=%d\n", sf.f_bsize > 0 && sf.f_blocks > 0 && sf.f_bfree <= sf.f_blocks
           && sf.f_namelen >= 255, sf.f_type == sf2.f_type && sf.f_fsid.__val[0] == sf2.f_fsid.__val[0]);
    if (setxattr(in_dir("src.txt"), "user.pytrans", "value", 5, XATTR_CREATE) == 0) {
        char v[16] = {0};
        ssize_t vn = getxattr(in_dir("src.txt"), "user.pytrans", v, sizeof v);
        int again = fsetxattr(src, "user.pytrans", "x", 1, XATTR_CREATE);
        int e = errno;
        int rm = fremovexattr(src, "user.pytrans");
        printf("xattr get=%.*s exists_again=%d removed=%d gone=%d\n", (int)vn, v,
               again == -1 && e == EEXIST, rm == 0,
               lgetxattr(in_dir("src.txt"), "user.pytrans", v, sizeof v) == -1 && errno == ENODATA);
    } else {
        printf("xattr unsupported errno=%d\n", errno);
    }
    CHECK(mknod(in_dir("fifo"), S_IFIFO | 0600, 0));
    CHECK(stat(in_dir("fifo"), &st));
    printf("mknod fifo=%d\n", S_ISFIFO(st.st_mode));
    unlink(in_dir("fifo"));
    unlink(in_dir("src.txt"));
    unlink(in_dir("dst.txt"));
    close(src); close(dst); close(again); close(m);
}

static void fd_ranges(void) {
    int a = open("/dev/null", O_RDONLY), b = dup(a), c = dup(a), d = dup(a);
    CHECK(syscall(SYS_close_range, b, c, 4 /* CLOSE_RANGE_CLOEXEC */));
    printf("close_range cloexec b=%d c=%d d=%d\n", fcntl(b, F_GETFD), fcntl(c, F_GETFD),
           fcntl(d, F_GETFD));
    CHECK(syscall(SYS_close_range, b, ~0U, 0));
    printf("close_range closed b=%d c=%d d=%d a_open=%d\n", fcntl(b, F_GETFD) == -1,
           fcntl(c, F_GETFD) == -1, fcntl(d, F_GETFD) == -1, fcntl(a, F_GETFD) >= 0);
    printf("close_range bad r=%ld einval=%d\n", syscall(SYS_close_range, 5, 4, 0), errno == EINVAL);
    close(a);

    struct { uint64_t flags, mode, resolve; } how = {O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, 0};
    int fd = syscall(SYS_openat2, AT_FDCWD, dir, &how, sizeof how);
    struct stat st;
    printf("openat2 dir ok=%d isdir=%d cloexec=%d\n", fd >= 0, fstat(fd, &st) == 0 && S_ISDIR(st.st_mode),
           fcntl(fd, F_GETFD) == FD_CLOEXEC);
    close(fd);
    symlink("src.txt", in_dir("link"));
    how.flags = O_RDONLY;
    how.resolve = 0x04;   /* RESOLVE_NO_SYMLINKS */
    long r = syscall(SYS_openat2, AT_FDCWD, in_dir("link"), &how, sizeof how);
    printf("openat2 no_symlinks r=%ld eloop=%d\n", r, errno == ELOOP);
    unlink(in_dir("link"));
    how.resolve = 0;
    how.flags = O_RDONLY | O_NOFOLLOW | O_DIRECTORY;
    fd = syscall(SYS_openat2, AT_FDCWD, in_dir("."), &how, sizeof how);
    printf("openat2 nofollow|directory ok=%d\n", fd >= 0);
    close(fd);
    struct { uint64_t flags, mode, resolve, extra; } big = {O_RDONLY, 0, 0, 1};
    r = syscall(SYS_openat2, AT_FDCWD, dir, &big, sizeof big);
    printf("openat2 nonzero tail r=%ld e2big=%d\n", r, errno == E2BIG);
}

static void sched(void) {
    struct sched_param sp = {0};
    CHECK(sched_getparam(0, &sp));
    printf("sched policy=%d prio=%d max_fifo=%d min_fifo=%d\n", sched_getscheduler(0), sp.sched_priority,
           sched_get_priority_max(SCHED_FIFO), sched_get_priority_min(SCHED_FIFO));
    cpu_set_t set;
    CHECK(sched_getaffinity(0, sizeof set, &set));
    CHECK(sched_setaffinity(0, sizeof set, &set));
    unsigned cpu = 99, node = 99;
    CHECK(syscall(SYS_getcpu, &cpu, &node, NULL));
    printf("getcpu in affinity=%d node=%u\n", CPU_ISSET(cpu, &set), node);
    struct timespec rr;
    CHECK(sched_rr_get_interval(0, &rr));
    printf("rr interval sane=%d\n", rr.tv_sec >= 0 && rr.tv_nsec >= 0 && rr.tv_nsec < 1000000000);
    int q = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
    printf("membarrier query has GLOBAL=%d\n", q >= 0 && (q & MEMBARRIER_CMD_GLOBAL) != 0);
    printf("membarrier global=%d\n", (int)syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0));
    printf("personality=%#x\n", personality(0xffffffff));
    printf("set ADDR_NO_RANDOMIZE old=%#x now=%#x\n", personality(ADDR_NO_RANDOMIZE),
           personality(0xffffffff));
    CHECK(setpriority(PRIO_PROCESS, 0, 7));
    errno = 0;
    int nice_now = getpriority(PRIO_PROCESS, 0);
    printf("setpriority nice=%d errno=%d\n", nice_now, errno);
    long io = syscall(SYS_ioprio_get, 1 /* IOPRIO_WHO_PROCESS */, 0);
    printf("ioprio_get ok=%d set=%ld\n", io >= 0,
           syscall(SYS_ioprio_set, 1, 0, (2 << 13) | 4));   /* best-effort class, level 4 */
    printf("ioprio now=%#lx\n", syscall(SYS_ioprio_get, 1, 0));
    struct { uint32_t version; int pid; } hdr = {0x20080522, 0};
    struct { uint32_t eff, perm, inh; } caps[2];
    memset(caps, 0xff, sizeof caps);
    printf("capget r=%ld inh_cleared=%d\n", syscall(SYS_capget, &hdr, caps), caps[0].inh != 0xffffffffu);
    hdr.version = 1;
    long cr = syscall(SYS_capget, &hdr, caps);
    printf("capget bad version r=%ld einval=%d preferred=%#x\n", cr, errno == EINVAL, hdr.version);
    struct timespec ts0 = {0, 0};
    printf("clock_settime bad clock r=%d einval=%d\n", clock_settime(12345, &ts0), errno == EINVAL);
    struct rusage ru;
    CHECK(getrusage(RUSAGE_SELF, &ru));
    printf("getrusage maxrss>0=%d\n", ru.ru_maxrss > 0);
    struct tms t;
    clock_t c = times(&t);
    printf("times ok=%d\n", c != (clock_t)-1);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    snprintf(dir, sizeof dir, "%s", argc > 1 ? argv[1] : ".");
    timerfd();
    inotify();
    names();
    files();
    fd_ranges();
    sched();
    return 0;
}
