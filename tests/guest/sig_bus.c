/* SIGBUS (BUS_ADRALN, si_addr) from an unaligned exclusive load, which both architectures
 * fault on (the kernel's alignment fixup does not handle exclusives). */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static sigjmp_buf jb;
static volatile uintptr_t addr;
static volatile int sig_seen, code_seen;

static void on_bus(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    sig_seen = sig;
    code_seen = si->si_code;
    addr = (uintptr_t)si->si_addr;
    siglongjmp(jb, 1);
}

static uint64_t buf[4];

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_bus;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGBUS, &sa, NULL);
    char *p = (char *)buf + 1;
    if (sigsetjmp(jb, 1) == 0) {
        unsigned long v;
#if defined(__aarch64__)
        __asm__ volatile("ldxr %0, [%1]" : "=r"(v) : "r"(p) : "memory");
#else
        __asm__ volatile("ldrex %0, [%1]" : "=r"(v) : "r"(p) : "memory");
#endif
        printf("no fault (%lu)\n", v);
    } else {
        printf("sigbus sig=%d code=%d addr_ok=%d\n", sig_seen, code_seen, addr == (uintptr_t)p);
    }
    return 0;
}
