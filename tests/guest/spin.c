/* Spins in pure computation (no syscalls) after saying it started: only a host signal ends it. */
#include <stdio.h>
int main(void) {
    volatile unsigned long x = 0;
    puts("spinning");
    fflush(stdout);
    for (;;) x++;
}
