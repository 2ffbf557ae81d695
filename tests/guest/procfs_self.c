/* Reads the /proc entries pytrans emulates and prints what a test can check:
 * /proc/self/exe, cmdline, auxv (against getauxval), maps (the lines holding main's code,
 * a stack variable, a large malloc block and AT_BASE), /proc/cpuinfo's first entry,
 * uname -m, and that read/lseek/fstat work on a /proc file. */
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

static char buf[1 << 16];

static long slurp(const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) { perror(path); return -1; }
    long n = 0, r;
    while ((r = read(fd, buf + n, sizeof buf - 1 - n)) > 0) n += r;
    close(fd);
    buf[n] = 0;
    return n;
}

static void maps_line(const char *what, unsigned long addr) {
    char *line = buf;
    while (line && *line) {
        char *end = strchr(line, '\n');
        if (end) *end = 0;
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && lo <= addr && addr < hi) {
            char perms[5];
            sscanf(line, "%*lx-%*lx %4s", perms);
            const char *name = strrchr(line, ' ');
            printf("maps %s: %s %s\n", what, perms, name ? name + 1 : "");
        }
        if (end) *end = '\n';
        line = end ? end + 1 : NULL;
    }
}

int main(int argc, char **argv) {
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n < 0 ? 0 : n] = 0;
    printf("exe=%s\n", exe);

    long len = slurp("/proc/self/cmdline");
    printf("cmdline:");
    for (long i = 0; i < len; i += strlen(buf + i) + 1) printf(" [%s]", buf + i);
    printf(" len=%ld\n", len);

    len = slurp("/proc/self/auxv");
    int ok = len > 0 && len % (2 * sizeof(unsigned long)) == 0, count = 0, last_null = 0;
    for (unsigned long *p = (unsigned long *)buf; (char *)p < buf + len; p += 2) {
        count++;
        last_null = p[0] == AT_NULL;
        if (p[0] != AT_NULL && p[0] != AT_IGNORE && getauxval(p[0]) != p[1]) ok = 0;
    }
    printf("auxv: entries=%d matches_getauxval=%d ends_with_null=%d\n", count, ok, last_null);

    int local = 0;
    void *big = malloc(1 << 20);
    len = slurp("/proc/self/maps");
    maps_line("main", (unsigned long)main);
    maps_line("stack", (unsigned long)&local);
    maps_line("malloc", (unsigned long)big);
    if (getauxval(AT_BASE)) maps_line("interp", getauxval(AT_BASE));
    int fmt = 1;
    for (char *l = buf; *l; l = strchr(l, '\n') + 1) {
        unsigned long lo, hi, off, ino; char perms[5]; unsigned maj, min;
        if (sscanf(l, "%lx-%lx %4s %lx %x:%x %lu", &lo, &hi, perms, &off, &maj, &min, &ino) != 7
            || lo >= hi || lo % 4096 || hi % 4096) fmt = 0;
        if (!strchr(l, '\n')) break;
    }
    printf("maps: well-formed=%d\n", fmt);

    len = slurp("/proc/cpuinfo");
    char *feat = strstr(buf, "Features\t: "), *part = strstr(buf, "CPU part\t: ");
    if (feat) *strchr(feat, '\n') = 0;
    if (part) *strchr(part, '\n') = 0;
    printf("cpuinfo: %s | %s\n", feat ? feat : "(no Features)", part ? part : "(no part)");

    struct utsname u;
    uname(&u);
    printf("uname -m: %s\n", u.machine);

    int fd = open("/proc/self/cmdline", O_RDONLY);
    char c2[4] = {0};
    struct stat st;
    lseek(fd, 1, SEEK_SET);
    read(fd, c2, 3);
    printf("lseek+read: %s fstat-regular=%d\n", c2, fstat(fd, &st) == 0 && S_ISREG(st.st_mode));
    int wfd = open("/proc/self/maps", O_WRONLY);
    printf("open-for-write: %d\n", wfd < 0);
    close(fd);
    return 0;
}
