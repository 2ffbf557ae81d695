/* hello: stdio basics -- printf formats, puts, fputs to stderr, and the
 * three setvbuf modes.  The buffering test interleaves stdio output with
 * raw write(2) calls on the same fd, so the order of the bytes on stdout
 * shows whether each stream really was unbuffered/line/fully buffered. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <stdint.h>
#include <inttypes.h>
#include <stddef.h>

static void raw(const char *s) { (void)!write(1, s, strlen(s)); }

static void buffering_case(const char *label, int mode)
{
    int fd = dup(1);
    FILE *f = fdopen(fd, "w");
    static char buf[256];
    if (!f) { printf("fdopen failed\n"); return; }
    if (setvbuf(f, mode == _IONBF ? NULL : buf, mode, sizeof buf) != 0)
        raw("setvbuf failed\n");
    raw(label);
    fputs("A", f);            /* unbuffered: appears now */
    raw("B");
    fputs("C\n", f);          /* line buffered: A and C\n appear here */
    raw("D");
    fputs("E", f);
    raw("F\n");
    fclose(f);                /* fully buffered: everything appears here */
    raw("|end\n");
}

int main(void)
{
    /* stdout is a pipe in the tests: make sure the initial part is flushed
     * before the raw writes below. */
    printf("Hello, world!\n");
    printf("int: %d %i %u %x %X %o %c\n", -42, 17, 4000000000u, 0xbeef, 0xcafe, 0755, 'Z');
    printf("width: [%5d] [%-5d] [%05d] [%+d] [% d]\n", 42, 42, 42, 42, 42);
    printf("long long: %lld %llu %llx\n", -1234567890123456789LL,
           18446744073709551615ULL, 0x123456789abcdefULL);
    printf("sized: %" PRId64 " %" PRIu32 " %zu %td\n", (int64_t)-5, (uint32_t)7,
           sizeof(int32_t), (ptrdiff_t)-3);
    printf("str: [%s] [%10s] [%-10s] [%.3s]\n", "abc", "right", "left", "truncate");
    printf("float: %f %.2f %e %g %g %g\n", 3.14159, 2.71828, 12345.678, 0.0001, 1e20, 100.0);
    printf("float2: %.0f %.1f %10.3f %-10.3f| %a\n", 2.5, 0.05, -1.5, 1.5, 1.0);
    printf("percent: 100%%\n");
    char sbuf[64];
    int n = snprintf(sbuf, sizeof sbuf, "%s-%d-%.3f", "snp", 99, 1.0 / 3);
    printf("snprintf: %s (%d)\n", sbuf, n);
    n = snprintf(sbuf, 8, "%s", "overflowing string");
    printf("snprintf trunc: %s (%d)\n", sbuf, n);
    puts("puts line");
    fputs("fputs line\n", stdout);
    putchar('p'); putchar('\n');
    fputs("this goes to stderr\n", stderr);
    fprintf(stderr, "stderr %d\n", 2);
    fflush(stdout);

    buffering_case("nbf: ", _IONBF);
    buffering_case("lbf: ", _IOLBF);
    buffering_case("fbf: ", _IOFBF);

    printf("done\n");
    return 0;
}
