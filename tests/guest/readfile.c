/* Prints the file named by argv[1] (absolute paths are looked up in the -L sysroot first). */
#include <stdio.h>
int main(int argc, char **argv) {
    FILE *f = fopen(argv[1], "r");
    if (!f) { perror(argv[1]); return 2; }
    int c;
    while ((c = getc(f)) != EOF) putchar(c);
    return 0;
}
