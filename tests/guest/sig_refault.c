/* Faults again after a handler: argv[1] "return" (the handler returns without fixing twice;
 * the kernel re-runs the instruction, faults and delivers again; the third time it fixes
 * the page), "inhandler" (the handler faults itself while SIGSEGV is blocked: killed by the
 * default action), "resethand" (SA_RESETHAND: the second fault kills), "overflow" (stack
 * overflow with a handler but no alternate stack: the frame cannot be written, SIGSEGV kills). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static char *page;
static volatile int calls;

static void on_segv(int sig) {
    (void)sig;
    calls++;
    if (calls == 3)
        mprotect(page, 4096, PROT_READ | PROT_WRITE);
}

static void on_segv_faults(int sig) {
    (void)sig;
    calls++;
    write(1, "in handler\n", 11);
    *(volatile int *)8 = 1;
}

static int recurse(int n) {
    volatile char big[2048];
    big[0] = (char)n;
    return recurse(n + 1) + big[0];
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "return";
    setvbuf(stdout, NULL, _IONBF, 0);
    page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = !strcmp(mode, "inhandler") ? on_segv_faults : on_segv;
    if (!strcmp(mode, "resethand"))
        sa.sa_flags = SA_RESETHAND;
    sigaction(SIGSEGV, &sa, NULL);
    if (!strcmp(mode, "overflow"))
        return recurse(0);      /* no alternate stack: no room for the frame, SIGSEGV kills */
    page[5] = 9;
    printf("write done after %d deliveries: %d\n", calls, page[5]);
    return 0;
}
