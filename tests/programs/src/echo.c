/* echo: read stdin with getchar() and write a transformed copy (rot13 of
 * letters, upper/lower case swapped, other bytes unchanged), then stats.
 * Bytes 0x00 and 0xff must survive (getchar returns unsigned char). */
#include <stdio.h>

int main(void)
{
    int c;
    unsigned long count = 0, lines = 0, zeros = 0, high = 0;
    unsigned int sum = 0;
    while ((c = getchar()) != EOF) {
        int out = c;
        if (c >= 'a' && c <= 'z')
            out = 'A' + (c - 'a' + 13) % 26;
        else if (c >= 'A' && c <= 'Z')
            out = 'a' + (c - 'A' + 13) % 26;
        putchar(out);
        count++;
        if (c == '\n') lines++;
        if (c == 0) zeros++;
        if (c >= 0x80) high++;
        sum = sum * 31u + (unsigned)c;
    }
    printf("\n--\nbytes=%lu lines=%lu zeros=%lu high=%lu hash=%08x eof=%d\n",
           count, lines, zeros, high, sum, feof(stdin) ? 1 : 0);
    return 0;
}
