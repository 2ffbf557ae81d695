/* Syscall round trips: N calls of getppid() (no work in the kernel, so the time is the
 * trip itself). Prints a checksum so a wrong emulation is caught. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/syscall.h>

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 100000;
    long sum = 0;
    for (long i = 0; i < n; i++)
        sum += syscall(SYS_getppid) > 0;
    printf("%ld\n", sum);
    return sum == n ? 0 : 1;
}
