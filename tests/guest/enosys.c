/* Unknown syscall numbers: 4000 three times, then any numbers given in argv (hex ok). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv) {
    for (int i = 0; i < 3; i++) {
        long r = syscall(4000);
        printf("r=%ld errno=%s\n", r, errno == ENOSYS ? "ENOSYS" : "other");
    }
    for (int i = 1; i < argc; i++) {
        long r = syscall(strtol(argv[i], 0, 0));
        printf("r=%ld errno=%s\n", r, errno == ENOSYS ? "ENOSYS" : "other");
        fflush(stdout);
    }
    return 0;
}
