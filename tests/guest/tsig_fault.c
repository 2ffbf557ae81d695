/* Faults in a worker thread. Default: the worker's SIGSEGV handler runs on the worker (its
 * tid, its TLS, its own alternate stack) and siglongjmps out, several times, while the main
 * thread keeps computing. "die": a worker's unhandled SIGSEGV kills the whole process
 * (status 139) while the main thread is blocked in pthread_join. "ill": the same with an
 * undefined instruction (SIGILL, 132) while the main thread spins. */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static __thread int tls_id;
static __thread sigjmp_buf env;
static volatile pid_t worker_tid, h_tid;
static volatile int h_tls = -1, h_code, h_onstack, progress;
static volatile void *h_addr;
static char altstack[65536];

static void on_segv(int sig, siginfo_t *si, void *uc) {
    (void)sig;
    (void)uc;
    stack_t ss;
    sigaltstack(NULL, &ss);
    h_tid = (pid_t)syscall(SYS_gettid);
    h_tls = tls_id;
    h_addr = si->si_addr;
    h_code = si->si_code;
    h_onstack = (ss.ss_flags & SS_ONSTACK) != 0;
    siglongjmp(env, 1);
}

static void *faulter(void *arg) {
    tls_id = 7;
    worker_tid = (pid_t)syscall(SYS_gettid);
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
    sigaltstack(&ss, NULL);
    int caught = 0;
    for (int i = 0; i < 5; i++) {
        if (sigsetjmp(env, 1) == 0) {
            volatile int *p = (volatile int *)(unsigned long)(0x100 + 0x10 * i);
            *p = i;                       /* SIGSEGV */
            printf("no fault?\n");
        } else {
            caught++;
            if (h_tls != 7 || h_tid != worker_tid || h_addr != (void *)(unsigned long)(0x100 + 0x10 * i))
                printf("wrong handler context %d: tls=%d addr=%p\n", i, h_tls, h_addr);
        }
        while (progress < i + 1)          /* main moves on between faults */
            usleep(500);
    }
    printf("worker caught %d faults: tls=%d tid_ok=%d code=%d on_altstack=%d\n", caught,
           h_tls, h_tid == worker_tid, h_code, h_onstack);
    return arg;
}

static void *dier(void *arg) {
    printf("worker faults now\n");
    fflush(stdout);
    *(volatile int *)0x10 = 1;
    printf("survived?\n");
    return arg;
}

static void *ill(void *arg) {
    printf("worker executes an undefined instruction\n");
    fflush(stdout);
#ifdef __aarch64__
    __asm__ volatile(".inst 0x00000000");
#elif defined(__thumb__)
    __asm__ volatile(".inst.n 0xde00");
#else
    __asm__ volatile(".inst 0xe7f000f0");
#endif
    printf("survived?\n");
    return arg;
}

int main(int argc, char **argv) {
    pthread_t t;
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 1 && !strcmp(argv[1], "die")) {
        pthread_create(&t, NULL, dier, NULL);
        pthread_join(t, NULL);
        printf("main survived?\n");
        return 0;
    }
    if (argc > 1 && !strcmp(argv[1], "ill")) {
        pthread_create(&t, NULL, ill, NULL);
        for (volatile unsigned long i = 0;; i++)
            ;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGSEGV, &sa, NULL);
    pthread_create(&t, NULL, faulter, NULL);
    unsigned sum = 0;
    for (int round = 0; round < 5; round++) {
        for (unsigned i = 0; i < 20000; i++)
            sum = sum * 31 + i;
        progress = round + 1;
    }
    pthread_join(t, NULL);
    stack_t ss;
    sigaltstack(NULL, &ss);
    printf("main computed %u, main altstack disabled=%d\n", sum, (ss.ss_flags & SS_DISABLE) != 0);
    return 0;
}
