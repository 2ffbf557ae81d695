/* exitcode: exit(atoi(argv[1])) after running atexit handlers; with no
 * argument, return 3 from main.  "stdio" variant leaves unflushed output
 * that exit() must flush. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void bye(void) { printf("atexit handler ran\n"); }

int main(int argc, char **argv)
{
    atexit(bye);
    if (argc < 2) {
        printf("returning 3 from main\n");
        return 3;
    }
    if (strcmp(argv[1], "_exit") == 0) {
        /* The first flush lets musl find out that stdout is not a tty (until
         * then it line-buffers); after it stdout is fully buffered in both
         * libcs when it is a pipe or file, so _exit() loses the second line. */
        printf("calling _exit(9)\n");
        fflush(stdout);
        printf("buffered text lost by _exit\n");
        _exit(9);
    }
    int code = atoi(argv[1]);
    printf("exiting with %d\n", code);
    exit(code);
}
