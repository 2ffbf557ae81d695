/* pthread_kill to workers blocked in system calls: a pipe read without SA_RESTART ends
 * with EINTR, one with SA_RESTART goes on and gets its byte, nanosleep ends with EINTR and
 * the time left, poll ends with EINTR, sigsuspend returns after the handler, and
 * pthread_cond_timedwait (a futex wait with a timeout) runs the handler and times out, and
 * a raw FUTEX_WAIT with a timeout ends with EINTR even under SA_RESTART.
 * The main thread signals again every 20 ms until the call is over (a signal that arrives
 * before the worker blocks only runs the handler). */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static volatile int handled[8], done;
static __thread int tls_id;
static int pa[2], pb[2];

static void on_usr1(int sig) { (void)sig; handled[tls_id]++; }

static void *reader_eintr(void *arg) {
    char c;
    tls_id = 1;
    errno = 0;
    ssize_t n = read(pa[0], &c, 1);
    printf("read without SA_RESTART: %zd EINTR=%d handled=%d\n", n, errno == EINTR,
           handled[1] > 0);
    done = 1;
    return arg;
}

static void *reader_restart(void *arg) {
    char c = 0;
    tls_id = 2;
    ssize_t n = read(pb[0], &c, 1);
    printf("read with SA_RESTART: %zd byte=%c handled=%d\n", n, c, handled[2] > 0);
    done = 1;
    return arg;
}

static void *sleeper(void *arg) {
    tls_id = 3;
    struct timespec ts = {10, 0}, rem = {0, 0};
    errno = 0;
    int r = nanosleep(&ts, &rem);
    printf("nanosleep: %d EINTR=%d rem_ok=%d handled=%d\n", r, errno == EINTR,
           rem.tv_sec > 0 && rem.tv_sec <= 10, handled[3] > 0);
    done = 1;
    return arg;
}

static void *poller(void *arg) {
    tls_id = 4;
    struct pollfd p = {.fd = pa[0], .events = POLLIN};
    errno = 0;
    int r = poll(&p, 1, 10000);
    printf("poll: %d EINTR=%d handled=%d\n", r, errno == EINTR, handled[4] > 0);
    done = 1;
    return arg;
}

static void *suspender(void *arg) {
    sigset_t s, empty;
    tls_id = 5;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &s, NULL);
    sigemptyset(&empty);
    errno = 0;
    int r = sigsuspend(&empty);   /* SIGUSR2, blocked otherwise, is sent only from here on */
    printf("sigsuspend: %d EINTR=%d handled=%d\n", r, errno == EINTR, handled[5] > 0);
    done = 1;
    return arg;
}

static void *timedwaiter(void *arg) {
    static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
    tls_id = 6;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += 300000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&m);
    int r;
    do
        r = pthread_cond_timedwait(&c, &m, &until);
    while (r == 0);
    pthread_mutex_unlock(&m);
    printf("cond_timedwait: %s handled=%d\n", r == ETIMEDOUT ? "ETIMEDOUT" : strerror(r),
           handled[6] > 0);
    done = 1;
    return arg;
}

static void *futex_waiter(void *arg) {
    static int word;
    tls_id = 7;
    struct timespec ts = {10, 0};
    errno = 0;
    /* FUTEX_WAIT with a relative timeout: EINTR after a handler, even with SA_RESTART */
    long r = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0);
    printf("futex wait with timeout: %ld EINTR=%d handled=%d\n", r, errno == EINTR,
           handled[7] > 0);
    done = 1;
    return arg;
}

static void run(void *(*fn)(void *), int sig, int feed) {
    pthread_t t;
    done = 0;
    pthread_create(&t, NULL, fn, NULL);
    usleep(10000);
    for (int i = 0; !done && i < 500; i++) {
        pthread_kill(t, sig);
        usleep(20000);
        if (feed && i == 2 && write(pb[1], "x", 1) != 1)
            return;
    }
    pthread_join(t, NULL);
}

int main(void) {
    struct sigaction sa;
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (pipe(pa) || pipe(pb))
        return 1;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);            /* no SA_RESTART */
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR2, &sa, NULL);
    run(reader_eintr, SIGUSR1, 0);
    run(reader_restart, SIGUSR2, 1);
    run(sleeper, SIGUSR1, 0);
    run(poller, SIGUSR2, 0);
    run(suspender, SIGUSR2, 0);
    run(timedwaiter, SIGUSR1, 0);
    run(futex_waiter, SIGUSR2, 0);
    printf("done\n");
    return 0;
}
