/* POSIX timers: a periodic SIGEV_SIGNAL timer with a SA_SIGINFO handler (si_code SI_TIMER,
 * si_value, si_timerid), overruns while the signal is blocked, SIGEV_NONE read back with
 * timer_gettime, the default SIGALRM timer, errors; `posix_timer thread`: SIGEV_THREAD
 * (glibc's helper thread waits in sigwaitinfo for a SIGEV_THREAD_ID signal). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile int hits, code_ok, value_ok;

static void on_timer(int sig, siginfo_t *si, void *uc) {
    hits++;
    code_ok = si->si_code == SI_TIMER;
    value_ok = si->si_value.sival_int == 4242;
}

static volatile int thread_calls;
static void on_thread(union sigval v) {
    if (v.sival_int == 77)
        __atomic_add_fetch(&thread_calls, 1, __ATOMIC_SEQ_CST);
}

static int sigev_thread(void) {
    /* SIGEV_THREAD: glibc runs the function on its helper thread (SIGEV_THREAD_ID). */
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_THREAD;
    ev.sigev_notify_function = on_thread;
    ev.sigev_value.sival_int = 77;
    timer_t th;
    printf("sigev_thread create=%d\n", timer_create(CLOCK_MONOTONIC, &ev, &th));
    struct itimerspec soon = {{0, 0}, {0, 20000000}};
    timer_settime(th, 0, &soon, NULL);
    for (int i = 0; i < 2000 && !thread_calls; i++) {
        struct timespec nap = {0, 1000000};
        nanosleep(&nap, NULL);
    }
    printf("sigev_thread calls=%d\n", thread_calls);
    return 0;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "thread") == 0)
        return sigev_thread();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_timer;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);

    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGUSR1;
    ev.sigev_value.sival_int = 4242;
    timer_t t;
    printf("create=%d\n", timer_create(CLOCK_MONOTONIC, &ev, &t));
    struct itimerspec its = {{0, 10000000}, {0, 10000000}}, cur;
    printf("settime=%d\n", timer_settime(t, 0, &its, NULL));
    while (hits < 5) {
        struct timespec nap = {0, 1000000};
        nanosleep(&nap, NULL);
    }
    printf("periodic hits>=5 code_ok=%d value_ok=%d\n", code_ok, value_ok);
    timer_gettime(t, &cur);
    printf("gettime interval=%ld value_ok=%d\n", cur.it_interval.tv_nsec,
           cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 10000000);

    /* Blocked: expiries pile up as overruns of the one queued signal. */
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, &old);
    int before = hits;
    struct timespec wait = {0, 80000000};
    nanosleep(&wait, NULL);
    sigprocmask(SIG_SETMASK, &old, NULL);
    int over = timer_getoverrun(t);
    printf("while blocked: one delivery=%d overruns>=3=%d\n", hits == before + 1, over >= 3);
    struct itimerspec off = {{0, 0}, {0, 0}}, prev;
    timer_settime(t, 0, &off, &prev);
    printf("disarm prev interval=%ld\n", prev.it_interval.tv_nsec);
    before = hits;
    nanosleep(&wait, NULL);
    printf("disarmed no more hits=%d\n", hits == before);
    printf("delete=%d again=%d einval=%d\n", timer_delete(t), timer_delete(t), errno == EINVAL);

    /* SIGEV_NONE: nothing delivered, but the timer runs down. */
    ev.sigev_notify = SIGEV_NONE;
    timer_t n;
    timer_create(CLOCK_REALTIME, &ev, &n);
    struct itimerspec one = {{0, 0}, {5, 0}};
    timer_settime(n, 0, &one, NULL);
    timer_gettime(n, &cur);
    printf("sigev_none remaining ok=%d\n", cur.it_value.tv_sec >= 4 && cur.it_value.tv_sec <= 5);
    timer_delete(n);

    /* Absolute expiry in the past on CLOCK_REALTIME fires at once (default: SIGALRM, here
     * handled). */
    sigaction(SIGALRM, &sa, NULL);
    timer_t a;
    printf("default sigevent create=%d\n", timer_create(CLOCK_REALTIME, NULL, &a));
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct itimerspec past = {{0, 0}, {now.tv_sec - 1, 0}};
    before = hits;
    timer_settime(a, TIMER_ABSTIME, &past, NULL);
    while (hits == before) {
        struct timespec nap = {0, 1000000};
        nanosleep(&nap, NULL);
    }
    printf("abstime past fired code_ok=%d\n", code_ok);
    timer_delete(a);

    struct itimerspec bad = {{0, 0}, {0, 1000000000}};
    timer_t b;
    timer_create(CLOCK_MONOTONIC, NULL, &b);
    printf("bad nsec r=%d einval=%d\n", timer_settime(b, 0, &bad, NULL), errno == EINVAL);
    printf("bad clock r=%d einval=%d\n", timer_create(12345, NULL, &b), errno == EINVAL);
    return 0;
}
