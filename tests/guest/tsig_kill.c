/* Signals and threads: pthread_kill to a worker (its handler sees its own tid and TLS) while
 * the main thread goes on, per-thread masks and pending sets, a process-directed kill taken
 * by the main thread, SIGALRM taken by the one thread that does not block it, a dedicated
 * sigwaitinfo thread, and tgkill/tkill's ESRCH for tids that are not ours. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t gettid_(void) { return (pid_t)syscall(SYS_gettid); }

static __thread int tls_id;              /* 0 in main, n in worker n */
static volatile pid_t worker_tid[8];
static volatile pid_t h_tid;
static volatile int h_tls = -1, h_sig, h_code, h_pid_ok, hits;
static volatile int in_handler, release, stop, step;

static void wait_for(volatile int *v, int want) {
    while (*v != want)
        usleep(500);
}

static void on_sig(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    h_tid = gettid_();
    h_tls = tls_id;
    h_sig = sig;
    h_code = si->si_code;
    h_pid_ok = si->si_pid == getpid();
    if (sig == SIGUSR1 && tls_id == 1) {
        in_handler = 1;
        while (!release)        /* spin inside the handler: main must still run */
            ;
    }
    __atomic_add_fetch(&hits, 1, __ATOMIC_SEQ_CST);
}

static void *spinner(void *arg) {          /* worker 1: computes until told to stop */
    tls_id = 1;
    worker_tid[1] = gettid_();
    volatile unsigned long n = 0;
    __atomic_store_n(&step, 1, __ATOMIC_SEQ_CST);
    while (!stop)
        n++;
    return arg;
}

static void *masked(void *arg) {           /* worker 2: blocks SIGUSR2 for a while */
    sigset_t s, p;
    tls_id = 2;
    worker_tid[2] = gettid_();
    sigemptyset(&s);
    sigaddset(&s, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &s, NULL);
    step = 1;
    wait_for(&step, 2);
    sigpending(&p);
    printf("worker sigpending: usr2=%d handled=%d\n", sigismember(&p, SIGUSR2), hits);
    step = 3;
    wait_for(&step, 4);
    pthread_sigmask(SIG_UNBLOCK, &s, NULL);  /* delivered here, on this thread */
    printf("after unblock in worker: sig=%d tls=%d tid_ok=%d code=%d\n", h_sig, h_tls,
           h_tid == worker_tid[2], h_code);
    step = 5;
    return arg;
}

static void *killer(void *arg) {           /* worker 3: kill() to the process */
    sigset_t s;
    tls_id = 3;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &s, NULL);
    int before = hits;
    kill(getpid(), SIGUSR1);
    while (hits == before)
        usleep(500);
    return arg;
}

static volatile int alarms;
static void on_alarm(int sig) {
    (void)sig;
    h_tid = gettid_();
    h_tls = tls_id;
    alarms++;
}

static void *alarm_taker(void *arg) {      /* worker 4: the only one not blocking SIGALRM */
    sigset_t s;
    tls_id = 4;
    worker_tid[4] = gettid_();
    sigemptyset(&s);
    sigaddset(&s, SIGALRM);
    pthread_sigmask(SIG_UNBLOCK, &s, NULL);
    while (!alarms)
        usleep(1000);
    return arg;
}

static volatile int acks;
static void *waiter(void *arg) {           /* worker 5: takes USR1/USR2 with sigwaitinfo */
    sigset_t s;
    siginfo_t si;
    tls_id = 5;
    worker_tid[5] = gettid_();
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    sigaddset(&s, SIGUSR2);
    for (int i = 0; i < 4; i++) {
        int sig = sigwaitinfo(&s, &si);
        printf("sigwait got %d code=%d pid_ok=%d\n", sig, si.si_code, si.si_pid == getpid());
        fflush(stdout);
        __atomic_add_fetch(&acks, 1, __ATOMIC_SEQ_CST);
    }
    return arg;
}

static volatile int q_vals[4], q_n, q_code, q_tls;
static void on_rt(int sig, siginfo_t *si, void *uc) {
    (void)sig;
    (void)uc;
    if (q_n < 4)
        q_vals[q_n++] = si->si_value.sival_int;
    q_code = si->si_code;
    q_tls = tls_id;
}

static void *rt_taker(void *arg) {          /* worker 6: queued RT signals with values */
    sigset_t s;
    tls_id = 6;
    sigemptyset(&s);
    sigaddset(&s, SIGRTMIN + 1);
    pthread_sigmask(SIG_BLOCK, &s, NULL);
    step = 1;
    wait_for(&step, 2);
    pthread_sigmask(SIG_UNBLOCK, &s, NULL);
    return arg;
}

static void *orphan(void *arg) {            /* main has called pthread_exit */
    tls_id = 9;
    /* Process-directed: once main has gone only this thread can take it. Main may still be
       on its way out after 20 ms on a busy machine (and take the signal itself): retry. */
    for (int tries = 0; tries < 100; tries++) {
        int before = hits;
        usleep(20000);
        kill(getpid(), SIGUSR1);
        while (hits == before)
            usleep(500);
        if (h_tls == 9)
            break;
    }
    printf("after main exited: handled in worker=%d code=%d\n", h_tls == 9, h_code);
    return arg;
}

static void *term_waiter(void *arg) {       /* worker 7: sigwait for SIGTERM (default) */
    sigset_t s;
    int sig = 0;
    sigemptyset(&s);
    sigaddset(&s, SIGTERM);
    step = 1;
    sigwait(&s, &sig);
    printf("sigwait got %d from another process\n", sig);
    return arg;
}

int main(int argc, char **argv) {
    struct sigaction sa;
    pthread_t t;
    sigset_t s, p;
    setvbuf(stdout, NULL, _IOLBF, 0);
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sig;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    if (argc > 1 && !strcmp(argv[1], "mainexit")) {
        pthread_create(&t, NULL, orphan, NULL);
        pthread_exit(NULL);
    }

    /* 1. pthread_kill to a spinning worker; its handler spins until main has computed. */
    pthread_create(&t, NULL, spinner, NULL);
    wait_for(&step, 1);
    printf("pthread_kill(worker, 0)=%d\n", pthread_kill(t, 0));
    pthread_kill(t, SIGUSR1);
    wait_for(&in_handler, 1);
    unsigned sum = 0;
    for (unsigned i = 1; i <= 200000; i++)
        sum += i;
    release = 1;
    wait_for(&hits, 1);
    printf("main computed %u while the worker ran its handler\n", sum);
    printf("handler: sig=%d tls=%d tid_ok=%d code=%d pid_ok=%d\n", h_sig, h_tls,
           h_tid == worker_tid[1], h_code, h_pid_ok);
    stop = 1;
    pthread_join(t, NULL);
    errno = 0;
    long r = syscall(SYS_tgkill, getpid(), 0x7ffffff0, SIGUSR1);
    printf("tgkill(no such tid)=%ld ESRCH=%d\n", r, errno == ESRCH);
    errno = 0;
    r = syscall(SYS_tkill, 0x7ffffff0, SIGUSR1);
    printf("tkill(no such tid)=%ld ESRCH=%d\n", r, errno == ESRCH);
    r = syscall(SYS_tgkill, getpid(), getpid(), 0);
    printf("tgkill(main, 0)=%ld\n", r);

    /* 2. Per-thread masks: SIGUSR2 pending on the worker only, until it unblocks it. */
    step = 0;
    hits = 0;
    pthread_create(&t, NULL, masked, NULL);
    wait_for(&step, 1);
    pthread_kill(t, SIGUSR2);
    step = 2;
    wait_for(&step, 3);
    sigpending(&p);
    printf("main sigpending: usr2=%d\n", sigismember(&p, SIGUSR2));
    step = 4;
    wait_for(&step, 5);
    pthread_join(t, NULL);

    /* 3. kill() to the process from a worker that blocks it: the main thread (blocked in
     * pthread_join) runs the handler and the join goes on. */
    h_tls = -1;
    pthread_create(&t, NULL, killer, NULL);
    pthread_join(t, NULL);
    printf("kill from worker: handled by main=%d tid_ok=%d code=%d\n", h_tls == 0,
           h_tid == getpid(), h_code);

    /* 4. SIGALRM while main blocks it: the worker that does not takes it. */
    sigemptyset(&s);
    sigaddset(&s, SIGALRM);
    pthread_sigmask(SIG_BLOCK, &s, NULL);
    signal(SIGALRM, on_alarm);
    h_tls = -1;
    pthread_create(&t, NULL, alarm_taker, NULL);
    struct itimerval it = {{0, 0}, {0, 30000}};
    setitimer(ITIMER_REAL, &it, NULL);
    pthread_join(t, NULL);
    sigpending(&p);
    printf("SIGALRM taken by worker=%d tid_ok=%d alarms=%d main pending=%d\n", h_tls == 4,
           h_tid == worker_tid[4], alarms, sigismember(&p, SIGALRM));

    /* 5. Every thread blocks USR1/USR2; one sigwaits. A signal sent before it waits stays
     * pending on the process (every thread sees it in sigpending). */
    sigaddset(&s, SIGUSR1);
    sigaddset(&s, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &s, NULL);
    kill(getpid(), SIGUSR2);
    sigpending(&p);
    printf("process pending before sigwait: usr2=%d\n", sigismember(&p, SIGUSR2));
    hits = 0;
    pthread_create(&t, NULL, waiter, NULL);
    wait_for(&acks, 1);
    /* /proc/self/task lists exactly the guest's threads: main and the waiter. */
    DIR *d = opendir("/proc/self/task");
    int n = 0, known = 0;
    for (struct dirent *e; d && (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        n++;
        pid_t tid = atoi(e->d_name);
        known += tid == getpid() || tid == worker_tid[5];
    }
    if (d)
        closedir(d);
    printf("/proc/self/task: %d entries, %d known\n", n, known);
    for (int i = 0; i < 3; i++) {
        kill(getpid(), SIGUSR1);
        wait_for(&acks, 2 + i);
    }
    pthread_join(t, NULL);
    sigpending(&p);
    printf("handlers run=%d pending after=%d\n", hits, sigismember(&p, SIGUSR1));

    /* 6. pthread_sigqueue: real-time signals queue on the thread, values in order. */
    sa.sa_sigaction = on_rt;
    sigaction(SIGRTMIN + 1, &sa, NULL);
    step = 0;
    pthread_create(&t, NULL, rt_taker, NULL);
    wait_for(&step, 1);
    pthread_sigqueue(t, SIGRTMIN + 1, (union sigval){.sival_int = 5});
    pthread_sigqueue(t, SIGRTMIN + 1, (union sigval){.sival_int = 6});
    step = 2;
    pthread_join(t, NULL);
    printf("sigqueue to worker: n=%d values=%d,%d code=%d in_worker=%d\n", q_n, q_vals[0],
           q_vals[1], q_code, q_tls == 6);

    /* 7. SIGTERM with its default action, blocked everywhere, sent by another process:
     * the thread in sigwait takes it; the process is not killed. */
    sigemptyset(&s);
    sigaddset(&s, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &s, NULL);
    step = 0;
    pthread_create(&t, NULL, term_waiter, NULL);
    wait_for(&step, 1);
    usleep(20000);
    pid_t child = fork();
    if (child == 0) {
        kill(getppid(), SIGTERM);
        _exit(0);
    }
    pthread_join(t, NULL);
    waitpid(child, NULL, 0);
    printf("done\n");
    return 0;
}
