/* An unknown syscall number returns -ENOSYS every time. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
int main(void) {
    for (int i = 0; i < 3; i++) {
        long r = syscall(4000);
        printf("r=%ld errno=%s\n", r, errno == ENOSYS ? "ENOSYS" : "other");
    }
    return 0;
}
