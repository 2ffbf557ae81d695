/* AArch64: a fault's frame carries an esr_context record after the fpsimd one, with the
 * exception class (data / instruction abort), WnR for writes and a translation-fault status
 * code (a write to a read-only page: a permission fault). qemu-user 7.2 writes no record. */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

static sigjmp_buf jb;
static volatile uint64_t esr;
static volatile int found;

static void on_segv(int sig, siginfo_t *si, void *ucv) {
    (void)sig; (void)si;
    ucontext_t *uc = ucv;
    unsigned char *p = (unsigned char *)uc->uc_mcontext.__reserved;
    found = 0;
    for (;;) {
        uint32_t magic = *(uint32_t *)p, size = *(uint32_t *)(p + 4);
        if (magic == 0 || size == 0)
            break;
        if (magic == 0x45535201) {
            memcpy((void *)&esr, p + 8, 8);
            found = 1;
        }
        p += size;
    }
    siglongjmp(jb, 1);
}

static void report(const char *what) {
    printf("%s: esr found=%d ec=%#x il=%d wnr=%d fsc=%#x\n", what, found,
           (unsigned)(esr >> 26) & 0x3f, (int)(esr >> 25) & 1, (int)(esr >> 6) & 1,
           (unsigned)esr & 0x3f);
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    if (!sigsetjmp(jb, 1))
        *(volatile int *)16 = 1;
    report("write");
    if (!sigsetjmp(jb, 1))
        (void)*(volatile int *)16;
    report("read");
    if (!sigsetjmp(jb, 1))
        ((void (*)(void))0x1000)();
    report("fetch");
    static const int ro = 5;
    if (!sigsetjmp(jb, 1))
        *(volatile int *)&ro = 6;
    report("readonly write");
    return 0;
}
