/* A small `wc`: lines, words and bytes of stdin, plus an optional tag from argv[1]. */
#include <ctype.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv) {
    char buf[4096];
    long lines = 0, words = 0, bytes = 0;
    int inword = 0;
    ssize_t n;
    while ((n = read(0, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            bytes++;
            if (buf[i] == '\n') lines++;
            if (isspace((unsigned char)buf[i])) inword = 0;
            else if (!inword) { inword = 1; words++; }
        }
    }
    printf("%s%ld %ld %ld\n", argc > 1 ? argv[1] : "", lines, words, bytes);
    return 0;
}
