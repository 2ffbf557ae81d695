/* List a directory with readdir, remember the telldir() position of entry N, check that
 * seekdir() comes back to it, and rewinddir() lists everything again.
 * Usage: dirlist DIR N. Built with and without -D_FILE_OFFSET_BITS=64 on 32-bit ARM. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    DIR *d = opendir(argv[1]);
    if (!d) { perror("opendir"); return 1; }
    int want = atoi(argv[2]), count = 0;
    long pos = -1, bad_off = 0;
    char after[256] = "", again[256] = "";
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_off < 0 || (sizeof(long) == 4 && (unsigned long long)e->d_off > 0x7fffffffULL))
            bad_off++;
        if (count == want) {
            pos = telldir(d);          /* position after entry N: the next readdir's entry */
        } else if (count == want + 1) {
            snprintf(after, sizeof after, "%s", e->d_name);
        }
        count++;
    }
    int err = errno;
    printf("count=%d errno=%d bad_off=%ld\n", count, err, bad_off);
    if (pos != -1) {
        seekdir(d, pos);
        e = readdir(d);
        snprintf(again, sizeof again, "%s", e ? e->d_name : "(null)");
        printf("seekdir back: %s\n", strcmp(after, again) == 0 ? "same entry" : "DIFFERENT");
        printf("telldir again: %s\n", telldir(d) != pos ? "moved on" : "STUCK");
    }
    rewinddir(d);
    int count2 = 0;
    while (readdir(d)) count2++;
    printf("after rewind count=%d\n", count2);
    closedir(d);
    return 0;
}
