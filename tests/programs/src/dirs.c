/* dirs: mkdir/rmdir, opendir/readdir (sorted), getcwd/chdir, symlink and
 * readlink, access.  Works inside argv[1] or a fresh mkdtemp directory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <dirent.h>
#include <limits.h>
#include <sys/stat.h>
#include "errname.h"

#define CHECK(expr) do { if ((expr) < 0) { printf("FAIL %s: %s\n", #expr, errname(errno)); } } while (0)

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list(const char *path)
{
    DIR *d = opendir(path);
    if (!d) { printf("opendir %s: %s\n", path, errname(errno)); return; }
    char *names[64];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 64) {
        char kind = '?';
        struct stat st;
        char full[PATH_MAX];
        snprintf(full, sizeof full, "%s/%s", path, e->d_name);
        if (lstat(full, &st) == 0)
            kind = S_ISDIR(st.st_mode) ? 'd' : S_ISLNK(st.st_mode) ? 'l' : S_ISREG(st.st_mode) ? 'f' : 'o';
        /* d_type must agree with lstat when the filesystem fills it in */
        int dt_ok = e->d_type == DT_UNKNOWN ||
                    (kind == 'd' && e->d_type == DT_DIR) ||
                    (kind == 'l' && e->d_type == DT_LNK) ||
                    (kind == 'f' && e->d_type == DT_REG);
        char *s = malloc(strlen(e->d_name) + 8);
        sprintf(s, "%s:%c%s", e->d_name, kind, dt_ok ? "" : "(bad d_type)");
        names[n++] = s;
    }
    closedir(d);
    qsort(names, n, sizeof names[0], cmp);
    printf("listing (%d):", n);
    for (int i = 0; i < n; i++) { printf(" %s", names[i]); free(names[i]); }
    printf("\n");
}

int main(int argc, char **argv)
{
    char base[PATH_MAX];
    int own = 0;
    if (argc > 1) {
        snprintf(base, sizeof base, "%s", argv[1]);
    } else {
        strcpy(base, "/tmp/pytrans-dirs-XXXXXX");
        if (!mkdtemp(base)) { perror("mkdtemp"); return 1; }
        own = 1;
    }
    umask(022);
    char start[PATH_MAX];
    if (!getcwd(start, sizeof start)) { printf("getcwd failed\n"); return 1; }

    CHECK(chdir(base));
    char here[PATH_MAX], real[PATH_MAX];
    printf("getcwd after chdir ok: %d\n",
           getcwd(here, sizeof here) != NULL && realpath(base, real) && strcmp(here, real) == 0);

    /* everything below uses relative paths */
    printf("mkdir top: %d\n", mkdir("top", 0755));
    errno = 0;
    printf("mkdir top again: %d %s\n", mkdir("top", 0755), errname(errno));
    CHECK(mkdir("top/sub1", 0700));
    CHECK(mkdir("top/sub2", 0755));
    const char *files[] = { "top/zeta.txt", "top/alpha.txt", "top/Mid.txt", "top/sub1/inner" };
    for (unsigned i = 0; i < sizeof files / sizeof files[0]; i++) {
        int fd = open(files[i], O_CREAT | O_WRONLY, 0644);
        if (fd < 0) printf("create %s: %s\n", files[i], errname(errno));
        else { (void)!write(fd, files[i], strlen(files[i])); close(fd); }
    }
    CHECK(symlink("alpha.txt", "top/link-to-alpha"));
    CHECK(symlink("does/not/exist", "top/dangling"));
    list("top");
    list("top/sub1");

    struct stat st;
    CHECK(stat("top/sub1", &st));
    printf("sub1 mode=%o isdir=%d\n", (unsigned)(st.st_mode & 07777), S_ISDIR(st.st_mode));

    char target[PATH_MAX];
    ssize_t n = readlink("top/link-to-alpha", target, sizeof target);
    printf("readlink: %zd [%.*s]\n", n, (int)(n > 0 ? n : 0), target);
    n = readlink("top/dangling", target, sizeof target);
    printf("readlink dangling: %zd [%.*s]\n", n, (int)(n > 0 ? n : 0), target);
    n = readlink("top/link-to-alpha", target, 3);
    printf("readlink short buffer: %zd [%.*s]\n", n, (int)(n > 0 ? n : 0), target);
    errno = 0;
    n = readlink("top/alpha.txt", target, sizeof target);
    printf("readlink on regular file: %zd %s\n", n, errname(errno));
    errno = 0;
    printf("stat dangling: %d %s\n", stat("top/dangling", &st), errname(errno));

    /* access */
    printf("access F_OK alpha: %d\n", access("top/alpha.txt", F_OK));
    printf("access R_OK|W_OK alpha: %d\n", access("top/alpha.txt", R_OK | W_OK));
    errno = 0;
    printf("access missing: %d %s\n", access("top/nope", F_OK), errname(errno));
    printf("access X_OK sub2: %d\n", access("top/sub2", X_OK));

    /* chdir into a subdirectory and back */
    CHECK(chdir("top/sub1"));
    char *cwd = getcwd(here, sizeof here);
    size_t L = cwd ? strlen(cwd) : 0;
    printf("cwd ends with /top/sub1: %d\n", L > 9 && strcmp(cwd + L - 9, "/top/sub1") == 0);
    printf("relative open inner: %d\n", access("inner", F_OK));
    CHECK(chdir("../.."));
    printf("back at base: %d\n", getcwd(here, sizeof here) && strcmp(here, real) == 0);
    errno = 0;
    char small[4];
    printf("getcwd tiny buffer: %s %s\n", getcwd(small, sizeof small) ? "non-null" : "NULL", errname(errno));
    errno = 0;
    printf("chdir to file: %d %s\n", chdir("top/alpha.txt"), errname(errno));

    /* fd-relative ops */
    int dfd = open("top", O_RDONLY | O_DIRECTORY);
    printf("openat-dir: %s\n", dfd >= 0 ? "ok" : errname(errno));
    int fd = openat(dfd, "sub2/made-by-openat", O_CREAT | O_WRONLY, 0640);
    printf("openat create: %s\n", fd >= 0 ? "ok" : errname(errno));
    close(fd);
    CHECK(fstatat(dfd, "sub2/made-by-openat", &st, 0));
    printf("fstatat mode=%o\n", (unsigned)(st.st_mode & 07777));
    CHECK(unlinkat(dfd, "sub2/made-by-openat", 0));
    close(dfd);

    /* rmdir */
    errno = 0;
    printf("rmdir non-empty: %d %s\n", rmdir("top/sub1"), errname(errno));
    CHECK(unlink("top/sub1/inner"));
    printf("rmdir sub1: %d\n", rmdir("top/sub1"));
    CHECK(rename("top/sub2", "top/sub2-renamed"));
    list("top");
    for (unsigned i = 0; i < 3; i++) CHECK(unlink(files[i]));
    CHECK(unlink("top/link-to-alpha"));
    CHECK(unlink("top/dangling"));
    CHECK(rmdir("top/sub2-renamed"));
    printf("rmdir top: %d\n", rmdir("top"));
    errno = 0;
    printf("rmdir again: %d %s\n", rmdir("top"), errname(errno));

    CHECK(chdir(start));
    if (own) CHECK(rmdir(base));
    printf("done\n");
    return 0;
}
