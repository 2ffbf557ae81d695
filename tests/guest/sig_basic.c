/* Signal delivery to guest handlers: siginfo, nesting, masks, SA_RESETHAND, sigaltstack,
 * faults (SIGSEGV with si_addr, SIGILL) left with siglongjmp or fixed and returned from,
 * and stack overflow caught on the alternate stack. Deterministic: compared with qemu-user. */
#define _GNU_SOURCE
#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static volatile int depth, order[16], norder;
static sigjmp_buf jb;
static volatile uintptr_t fault_addr;
static volatile int fault_code, fault_sig;
static char *altstack;
static size_t altsize = 65536;

static void note(int v) { order[norder++] = v; }

static void on_info(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    printf("handler sig=%d si_signo=%d si_code=%d pid_ok=%d uid_ok=%d\n", sig, si->si_signo,
           si->si_code, si->si_pid == getpid(), si->si_uid == getuid());
}

static void on_usr2(int sig) { note(200 + sig); }

static void on_usr1_raises(int sig) {
    note(100 + sig);
    raise(SIGUSR2);          /* not blocked: runs nested, before we go on */
    note(150);
    if (depth++ == 0)
        raise(SIGUSR1);      /* blocked during its own handler: runs after we return */
    note(160);
}

static void on_nodefer(int sig) {
    (void)sig;
    int d = ++depth;
    note(d);
    if (d < 3)
        raise(SIGUSR1);       /* SA_NODEFER: recursive delivery */
    note(10 + d);
}

static void on_fault(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    fault_sig = sig;
    fault_addr = (uintptr_t)si->si_addr;
    fault_code = si->si_code;
    siglongjmp(jb, 1);
}

static char *fixpage;
static void on_fix(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    fault_sig = sig;
    fault_addr = (uintptr_t)si->si_addr;
    fault_code = si->si_code;
    mprotect(fixpage, 4096, PROT_READ | PROT_WRITE);   /* return: the write runs again */
}

static void on_alt(int sig) {
    char here;
    stack_t cur;
    sigaltstack(NULL, &cur);
    printf("alt handler sig=%d on_alt=%d ss_onstack=%d\n", sig,
           &here >= altstack && &here < altstack + altsize, (cur.ss_flags & SS_ONSTACK) != 0);
}

#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)    /* linux/signal.h; older C library headers lack it */
#endif
static volatile int disarm_on_alt, disarm_flags;
static void on_disarm(int sig, siginfo_t *si, void *uc) {
    char here;
    stack_t cur;
    (void)sig; (void)si; (void)uc;
    sigaltstack(NULL, &cur);
    disarm_on_alt = &here >= altstack && &here < altstack + altsize;
    disarm_flags = cur.ss_flags;
}

static volatile int counted;
static void on_count(int sig) { (void)sig; counted++; }

static volatile int resets;
static void on_reset(int sig) { (void)sig; resets++; }

extern void do_udf(void);
#if defined(__aarch64__)
__asm__(".text\n.globl do_udf\n.type do_udf,%function\ndo_udf:\n.inst 0x00000000\nret\n");
#elif defined(__thumb__)
__asm__(".text\n.globl do_udf\n.thumb_func\n.type do_udf,%function\ndo_udf:\n.inst.n 0xde00\nbx lr\n");
#else
__asm__(".text\n.globl do_udf\n.type do_udf,%function\ndo_udf:\n.inst 0xe7f000f0\nbx lr\n");
#endif

/* The kernel's own struct sigaction, for rt_sigaction without the C library's restorer. */
struct ksigaction {
    void *handler;
    unsigned long flags;
    void *restorer;
    unsigned long mask[8 / sizeof(unsigned long)];
};
static volatile int raw_hits;
static volatile double raw_fp;
static void on_raw(int sig) { raw_hits += sig; raw_fp = raw_fp * 2.0 + 0.5; }
static void on_raw_info(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    raw_hits += sig * 100 + (si->si_code == SI_TKILL);
}

static void on_queue(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    printf("queued sig=%d code=%d value=%d pid_ok=%d\n", sig, si->si_code,
           si->si_value.sival_int, si->si_pid == getpid());
}

static int recurse(int n) {
    volatile char big[2048];
    big[0] = (char)n;
    return recurse(n + 1) + big[0];
}

int main(void) {
    struct sigaction sa;
    setvbuf(stdout, NULL, _IONBF, 0);

    /* 1. SA_SIGINFO from kill() and raise() (tgkill) */
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_info;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    kill(getpid(), SIGUSR1);
    raise(SIGUSR1);

    /* 2. nesting: USR2 runs inside USR1's handler, USR1 itself waits until it returns */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr2;
    sigaction(SIGUSR2, &sa, NULL);
    sa.sa_handler = on_usr1_raises;
    sigaction(SIGUSR1, &sa, NULL);
    depth = 0;
    norder = 0;
    raise(SIGUSR1);
    printf("nested:");
    for (int i = 0; i < norder; i++) printf(" %d", order[i]);
    printf(" depth=%d\n", depth);

    /* 3. SA_NODEFER: recursive */
    sa.sa_handler = on_nodefer;
    sa.sa_flags = SA_NODEFER;
    sigaction(SIGUSR1, &sa, NULL);
    depth = 0;
    norder = 0;
    raise(SIGUSR1);
    printf("nodefer:");
    for (int i = 0; i < norder; i++) printf(" %d", order[i]);
    printf("\n");

    /* 4. blocked signal stays pending until unblocked */
    sigset_t set, pend, now;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, NULL);
    norder = 0;
    raise(SIGUSR2);
    sigpending(&pend);
    printf("pending usr2=%d delivered=%d\n", sigismember(&pend, SIGUSR2), norder);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    sigpending(&pend);
    printf("after unblock delivered=%d order=%d pending=%d\n", norder, order[0],
           sigismember(&pend, SIGUSR2));

    /* 5. SA_RESETHAND: second SIGWINCH takes the default action (ignore) */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_reset;
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGWINCH, &sa, NULL);
    raise(SIGWINCH);
    raise(SIGWINCH);
    sigaction(SIGWINCH, NULL, &sa);
    printf("resethand count=%d now_default=%d\n", resets, sa.sa_handler == SIG_DFL);

    /* 6. sigaltstack + SA_ONSTACK */
    altstack = malloc(altsize);
    stack_t ss = {.ss_sp = altstack, .ss_size = altsize, .ss_flags = 0};
    if (sigaltstack(&ss, NULL) != 0) perror("sigaltstack");
    stack_t q;
    sigaltstack(NULL, &q);
    printf("altstack set=%d flags=%d\n", q.ss_sp == altstack && q.ss_size == altsize, q.ss_flags);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alt;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR2, &sa, NULL);
    raise(SIGUSR2);
    sa.sa_flags = 0;
    sigaction(SIGUSR2, &sa, NULL);
    raise(SIGUSR2);

    /* 6b. SS_AUTODISARM: disarmed inside the handler, re-armed by sigreturn */
    ss.ss_flags = SS_AUTODISARM;
    sigaltstack(&ss, NULL);
    sa.sa_sigaction = on_disarm;
    sa.sa_flags = SA_ONSTACK | SA_SIGINFO;     /* rt frame: uc_stack re-arms on return */
    sigaction(SIGUSR2, &sa, NULL);
    raise(SIGUSR2);
    sigaltstack(NULL, &q);
    printf("autodisarm inside: on_alt=%d flags=%d; after: set=%d flags=%#x\n", disarm_on_alt,
           disarm_flags, q.ss_sp == altstack && q.ss_size == altsize, (unsigned)q.ss_flags);
    ss.ss_flags = 0;
    sigaltstack(&ss, NULL);

    /* 7. SIGSEGV on an unmapped write, si_addr, siglongjmp out (twice: the mask is restored) */
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGILL, &sa, NULL);
    for (int round = 0; round < 2; round++) {
        if (sigsetjmp(jb, 1) == 0) {
            *(volatile int *)(uintptr_t)(0x10 + round * 8) = 1;
            printf("no fault?\n");
        } else {
            printf("segv sig=%d addr=%#lx code=%d\n", fault_sig, (unsigned long)fault_addr,
                   fault_code);
        }
    }
    sigprocmask(SIG_BLOCK, NULL, &set);
    printf("segv blocked after longjmp=%d\n", sigismember(&set, SIGSEGV));

    /* 8. SIGSEGV on a read-only page (SEGV_ACCERR); the handler fixes it and returns */
    fixpage = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    sa.sa_sigaction = on_fix;
    sigaction(SIGSEGV, &sa, NULL);
    fixpage[100] = 42;
    printf("fixed write=%d sig=%d addr_ok=%d code=%d\n", fixpage[100], fault_sig,
           fault_addr == (uintptr_t)(fixpage + 100), fault_code);

    /* 9. SIGILL from an undefined instruction */
    if (sigsetjmp(jb, 1) == 0) {
        do_udf();
        printf("no sigill?\n");
    } else {
        printf("sigill sig=%d addr_ok=%d code=%d\n", fault_sig,
               fault_addr == ((uintptr_t)do_udf & ~(uintptr_t)1), fault_code);
    }

    /* 10. stack overflow caught on the alternate stack */
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGSEGV, &sa, NULL);
    if (sigsetjmp(jb, 1) == 0) {
        recurse(0);
    } else {
        printf("overflow caught sig=%d\n", fault_sig);
    }
    /* 11. handlers installed without SA_RESTORER return through the kernel's trampoline */
    struct ksigaction k;
    memset(&k, 0, sizeof k);
    k.handler = (void *)on_raw;
    syscall(SYS_rt_sigaction, SIGUSR1, &k, NULL, 8);
    double keep = 1.25;
    raw_fp = keep;
    raise(SIGUSR1);
    k.handler = (void *)on_raw_info;
    k.flags = SA_SIGINFO;
    syscall(SYS_rt_sigaction, SIGUSR1, &k, NULL, 8);
    raise(SIGUSR1);
    printf("no restorer: hits=%d fp=%g keep=%g\n", raw_hits, raw_fp, keep);
    /* 12. sigqueue: SI_QUEUE with a value */
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_queue;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    union sigval sv = {.sival_int = 4242};
    sigqueue(getpid(), SIGUSR1, sv);

    /* 13. sigtimedwait takes a blocked pending signal without running a handler */
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, NULL);
    raise(SIGUSR2);
    siginfo_t wi;
    struct timespec zero = {0, 0}, tenms = {0, 10000000};
    int got = sigtimedwait(&set, &wi, &zero);
    printf("sigtimedwait got=%d code=%d\n", got, wi.si_code);
    errno = 0;
    got = sigtimedwait(&set, &wi, &tenms);
    printf("sigtimedwait timeout=%d EAGAIN=%d\n", got, errno == EAGAIN);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    /* 14. ppoll / pselect with a mask that lets a blocked pending signal through: EINTR at
     * once, the handler runs, the original mask is back afterwards */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_count;
    sigaction(SIGUSR1, &sa, NULL);
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    int pp[2];
    pipe(pp);
    sigset_t none;
    sigemptyset(&none);
    struct timespec five = {5, 0};
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN}, evout;
    epoll_ctl(ep, EPOLL_CTL_ADD, pp[0], &ev);
    for (int which = 0; which < 3; which++) {
        counted = 0;
        raise(SIGUSR1);
        errno = 0;
        int pr;
        if (which == 0) {
            struct pollfd pf = {pp[0], POLLIN, 0};
            pr = ppoll(&pf, 1, &five, &none);
        } else if (which == 2) {
            pr = epoll_pwait(ep, &evout, 1, 5000, &none);
        } else {
            fd_set rd;
            FD_ZERO(&rd);
            FD_SET(pp[0], &rd);
            pr = pselect(pp[0] + 1, &rd, NULL, NULL, &five, &none);
        }
        int eintr = errno == EINTR;
        sigprocmask(SIG_BLOCK, NULL, &now);
        printf("%s rc=%d EINTR=%d handled=%d still blocked=%d\n",
               which == 2 ? "epoll_pwait" : which ? "pselect" : "ppoll",
               pr, eintr, counted, sigismember(&now, SIGUSR1));
    }
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    printf("done\n");
    return 0;
}
