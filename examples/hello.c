/* The bundled example: a static ARM program that greets, shows its arguments and environment
 * handling, touches the heap and the FPU, and exits with status 0. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

int main(int argc, char **argv) {
    struct utsname u;
    uname(&u);
    printf("Hello from an ARM guest (%s) under pytrans!\n", u.machine);
    for (int i = 1; i < argc; i++)
        printf("  argv[%d] = %s\n", i, argv[i]);
    const char *who = getenv("USER");
    printf("  USER is %s\n", who ? who : "(unset)");
    double sum = 0;
    for (int i = 1; i <= 1000; i++)
        sum += 1.0 / ((double)i * i);
    printf("  sum 1/n^2 for n<=1000 = %.9f\n", sum);
    char *buf = malloc(1 << 20);
    memset(buf, 'x', 1 << 20);
    unsigned long check = 0;
    for (int i = 0; i < (1 << 20); i += 4096)
        check += (unsigned char)buf[i];
    printf("  heap: 1 MiB filled, checksum %lu\n", check);
    free(buf);
    return 0;
}
