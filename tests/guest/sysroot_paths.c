/* For each path argument: lstat's file type, readlink's target, stat's size, access(R_OK),
 * and the first line read from it. Absolute paths are looked up in the -L sysroot. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const char *p = argv[i];
        struct stat st;
        char link[256] = "-", line[256] = "-";
        const char *type = lstat(p, &st) ? "missing" : S_ISLNK(st.st_mode) ? "link"
                         : S_ISDIR(st.st_mode) ? "dir" : "file";
        ssize_t n = readlink(p, link, sizeof link - 1);
        if (n >= 0) link[n] = 0;
        long size = stat(p, &st) ? -1 : (long)st.st_size;
        FILE *f = fopen(p, "r");
        if (f) {
            if (!fgets(line, sizeof line, f)) strcpy(line, "-");
            line[strcspn(line, "\n")] = 0;
            fclose(f);
        }
        printf("%s: %s link=%s size=%ld access=%d first=%s\n", p, type, link, size,
               access(p, R_OK) == 0, line);
    }
    return 0;
}
