/* fileio: file syscalls inside a scratch directory (argv[1], or a fresh
 * mkdtemp under /tmp that is removed at the end).  Output never contains
 * the directory path itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include "errname.h"

static char dir[4096];
static char pbuf[4][4200];
static int pnext;

/* DIR/NAME in one of four rotating buffers (so two can be used at once) */
static const char *P(const char *name)
{
    char *b = pbuf[pnext++ % 4];
    snprintf(b, sizeof pbuf[0], "%s/%s", dir, name);
    return b;
}

#define CHECK(expr) do { if ((expr) < 0) { printf("FAIL %s: %s\n", #expr, errname(errno)); } } while (0)

static long fsize(int fd)
{
    struct stat st;
    if (fstat(fd, &st) < 0) return -1;
    return (long)st.st_size;
}

int main(int argc, char **argv)
{
    int own = 0;
    if (argc > 1) {
        snprintf(dir, sizeof dir, "%s", argv[1]);
    } else {
        strcpy(dir, "/tmp/pytrans-fileio-XXXXXX");
        if (!mkdtemp(dir)) { perror("mkdtemp"); return 1; }
        own = 1;
    }
    umask(022);

    /* create + write */
    int fd = open(P("data.txt"), O_CREAT | O_RDWR | O_TRUNC, 0644);
    printf("open create: %s\n", fd >= 0 ? "ok" : errname(errno));
    const char *msg = "Hello file!\nSecond line.\n";
    ssize_t n = write(fd, msg, strlen(msg));
    printf("write: %zd, size now %ld\n", n, fsize(fd));

    /* lseek + read */
    off_t off = lseek(fd, 0, SEEK_CUR);
    printf("lseek cur: %ld\n", (long)off);
    off = lseek(fd, 6, SEEK_SET);
    char buf[128] = {0};
    n = read(fd, buf, 5);
    printf("lseek 6 + read 5: %zd [%.*s]\n", n, (int)n, buf);
    off = lseek(fd, -5, SEEK_END);
    n = read(fd, buf, sizeof buf);
    printf("lseek end-5 (%ld) + read: %zd [%.*s]\n", (long)off, n, (int)(n > 0 ? n - 1 : 0), buf);
    n = read(fd, buf, sizeof buf);
    printf("read at eof: %zd\n", n);

    /* sparse extension */
    off = lseek(fd, 100000, SEEK_SET);
    n = write(fd, "X", 1);
    printf("sparse write at %ld: %zd, size %ld\n", (long)off, n, fsize(fd));

    /* pread / pwrite do not move the offset */
    off = lseek(fd, 3, SEEK_SET);
    n = pwrite(fd, "JELLO", 5, 0);
    memset(buf, 0, sizeof buf);
    ssize_t m = pread(fd, buf, 11, 0);
    printf("pwrite %zd pread %zd [%s] offset still %ld\n", n, m, buf, (long)lseek(fd, 0, SEEK_CUR));
    memset(buf, 0, sizeof buf);
    m = pread(fd, buf, 4, 99998);
    printf("pread in hole: %zd bytes %d %d %d %d\n", m, buf[0], buf[1], buf[2], buf[3]);

    /* ftruncate */
    CHECK(ftruncate(fd, 10));
    printf("ftruncate 10: size %ld\n", fsize(fd));
    CHECK(ftruncate(fd, 5000));
    printf("ftruncate 5000: size %ld\n", fsize(fd));
    close(fd);

    /* stat */
    struct stat st;
    CHECK(stat(P("data.txt"), &st));
    printf("stat: size=%ld mode=%o reg=%d dir=%d nlink=%ld\n", (long)st.st_size,
           (unsigned)(st.st_mode & 07777), S_ISREG(st.st_mode), S_ISDIR(st.st_mode),
           (long)st.st_nlink);
    CHECK(chmod(P("data.txt"), 0600));
    CHECK(stat(P("data.txt"), &st));
    printf("after chmod: mode=%o\n", (unsigned)(st.st_mode & 07777));
    errno = 0;
    printf("stat missing: %d %s\n", stat(P("missing"), &st), errname(errno));

    /* O_APPEND, O_EXCL */
    fd = open(P("data.txt"), O_WRONLY | O_APPEND);
    n = write(fd, "tail", 4);
    printf("append write %zd size %ld\n", n, fsize(fd));
    close(fd);
    errno = 0;
    fd = open(P("data.txt"), O_CREAT | O_EXCL | O_WRONLY, 0644);
    printf("O_EXCL on existing: %d %s\n", fd, errname(errno));
    errno = 0;
    fd = open(P("nodir/x"), O_RDONLY);
    printf("open missing: %d %s\n", fd, errname(errno));
    /* O_DIRECTORY / O_NOFOLLOW have different values on ARM and x86! */
    errno = 0;
    fd = open(P("data.txt"), O_RDONLY | O_DIRECTORY);
    printf("O_DIRECTORY on file: %d %s\n", fd, errname(errno));
    fd = open(dir, O_RDONLY | O_DIRECTORY);
    printf("O_DIRECTORY on dir: %s\n", fd >= 0 ? "ok" : errname(errno));
    if (fd >= 0) close(fd);
    CHECK(symlink("data.txt", P("link")));
    errno = 0;
    fd = open(P("link"), O_RDONLY | O_NOFOLLOW);
    printf("O_NOFOLLOW on symlink: %d %s\n", fd, errname(errno));
    fd = open(P("link"), O_RDONLY);
    printf("open via symlink: %s size %ld\n", fd >= 0 ? "ok" : errname(errno), fsize(fd));
    close(fd);
    struct stat lst;
    CHECK(lstat(P("link"), &lst));
    printf("lstat link: islnk=%d size=%ld\n", S_ISLNK(lst.st_mode), (long)lst.st_size);

    /* stdio on files */
    FILE *f = fopen(P("stdio.txt"), "w+");
    for (int i = 0; i < 100; i++)
        fprintf(f, "line %d\n", i);
    long pos = ftell(f);
    rewind(f);
    char line[64];
    int lines = 0, sum = 0;
    while (fgets(line, sizeof line, f)) { lines++; sum += atoi(line + 5); }
    printf("stdio: ftell=%ld lines=%d sum=%d\n", pos, lines, sum);
    fseek(f, 50, SEEK_SET);
    printf("fseek 50 fgets: %s", fgets(line, sizeof line, f) ? line : "NULL\n");
    fclose(f);

    /* rename / unlink */
    CHECK(rename(P("stdio.txt"), P("renamed.txt")));
    errno = 0;
    printf("old name after rename: %d %s\n", access(P("stdio.txt"), F_OK), errname(errno));
    printf("new name after rename: %d\n", access(P("renamed.txt"), F_OK));
    CHECK(link(P("renamed.txt"), P("hardlink.txt")));
    CHECK(stat(P("renamed.txt"), &st));
    printf("nlink after link: %ld\n", (long)st.st_nlink);
    CHECK(unlink(P("hardlink.txt")));
    CHECK(unlink(P("renamed.txt")));
    errno = 0;
    printf("unlink again: %d %s\n", unlink(P("renamed.txt")), errname(errno));

    /* dup / dup2 share the file offset */
    fd = open(P("data.txt"), O_RDONLY);
    int fd2 = dup(fd);
    printf("dup gives new fd: %d\n", fd2 > fd);
    n = read(fd, buf, 6);
    printf("offset via dup: %ld\n", (long)lseek(fd2, 0, SEEK_CUR));
    int r = dup2(fd, 50);
    printf("dup2 -> %d\n", r);
    n = read(50, buf, 5);
    printf("read via 50: [%.*s] offset %ld\n", (int)n, buf, (long)lseek(fd, 0, SEEK_CUR));
    close(50); close(fd2);
    errno = 0;
    printf("read closed fd: %zd %s\n", read(50, buf, 1), errname(errno));

    /* fcntl */
    int fl = fcntl(fd, F_GETFD);
    printf("F_GETFD cloexec=%d\n", (fl & FD_CLOEXEC) != 0);
    CHECK(fcntl(fd, F_SETFD, FD_CLOEXEC));
    printf("F_SETFD -> cloexec=%d\n", (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    int fd3 = fcntl(fd, F_DUPFD, 20);
    printf("F_DUPFD >=20: %d\n", fd3);
    int fd4 = fcntl(fd, F_DUPFD_CLOEXEC, 30);
    printf("F_DUPFD_CLOEXEC: %d cloexec=%d\n", fd4, (fcntl(fd4, F_GETFD) & FD_CLOEXEC) != 0);
    close(fd3); close(fd4); close(fd);
    fd = open(P("data.txt"), O_RDWR | O_APPEND);
    fl = fcntl(fd, F_GETFL);
    printf("F_GETFL: acc=%s append=%d nonblock=%d\n",
           (fl & O_ACCMODE) == O_RDWR ? "RDWR" : (fl & O_ACCMODE) == O_WRONLY ? "WRONLY" : "RDONLY",
           (fl & O_APPEND) != 0, (fl & O_NONBLOCK) != 0);
    CHECK(fcntl(fd, F_SETFL, fl | O_NONBLOCK));
    fl = fcntl(fd, F_GETFL);
    printf("F_SETFL nonblock: append=%d nonblock=%d\n", (fl & O_APPEND) != 0, (fl & O_NONBLOCK) != 0);
    close(fd);

    /* pipe inside one process */
    int p[2];
    CHECK(pipe(p));
    n = write(p[1], "through the pipe", 16);
    memset(buf, 0, sizeof buf);
    m = read(p[0], buf, sizeof buf);
    printf("pipe: wrote %zd read %zd [%s]\n", n, m, buf);
    errno = 0;
    printf("lseek on pipe: %ld %s\n", (long)lseek(p[0], 0, SEEK_CUR), errname(errno));
    CHECK(fcntl(p[0], F_SETFL, O_NONBLOCK));
    errno = 0;
    m = read(p[0], buf, sizeof buf);
    printf("nonblocking empty read: %zd %s\n", m, errname(errno));
    close(p[1]);
    m = read(p[0], buf, sizeof buf);
    printf("read after writer closed: %zd\n", m);
    close(p[0]);

    /* big write/read round trip */
    static unsigned char big[200000];
    for (unsigned i = 0; i < sizeof big; i++) big[i] = (unsigned char)(i * 7 + (i >> 8));
    fd = open(P("big.bin"), O_CREAT | O_RDWR | O_TRUNC, 0644);
    n = write(fd, big, sizeof big);
    lseek(fd, 0, SEEK_SET);
    static unsigned char back[200000];
    m = 0;
    while (m < (ssize_t)sizeof back) {
        ssize_t k = read(fd, back + m, sizeof back - m);
        if (k <= 0) break;
        m += k;
    }
    printf("big: wrote %zd read %zd equal=%d\n", n, m, memcmp(big, back, sizeof big) == 0);
    close(fd);

    /* cleanup */
    CHECK(unlink(P("big.bin")));
    CHECK(unlink(P("link")));
    CHECK(unlink(P("data.txt")));
    if (own) CHECK(rmdir(dir));
    printf("done\n");
    return 0;
}
