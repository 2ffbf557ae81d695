/* Writes lines forever with write(2); only SIGPIPE (or EPIPE) stops it. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
int main(void) {
    for (;;) {
        if (write(1, "y\n", 2) < 0) {
            fprintf(stderr, "write failed: %s\n", errno == EPIPE ? "EPIPE" : "other");
            return 3;
        }
    }
}
