/* pthread_cancel of workers blocked at cancellation points: a futex wait
 * (pthread_cond_wait), nanosleep and read from a pipe. glibc sends SIGCANCEL (32) with
 * tgkill and its handler (SA_SIGINFO, checking si_pid and si_code == SI_TKILL) unwinds the
 * thread through the cleanup handlers; pthread_join then returns PTHREAD_CANCELED. Also a
 * worker with cancellation disabled (the signal is not sent, it finishes normally) and
 * deferred cancellation acted on at pthread_testcancel. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static volatile int started, spin_stop;
static int pipefd[2];

static void cleanup(void *what) {
    printf("cleanup: %s\n", (const char *)what);
}

static void unlock_cleanup(void *what) {
    /* pthread_cond_wait re-acquires the mutex before the cleanup handlers run */
    printf("cleanup: %s (mutex held: %d)\n", (const char *)what,
           pthread_mutex_trylock(&mu) != 0);
    pthread_mutex_unlock(&mu);
}

static void *cond_worker(void *arg) {
    pthread_mutex_lock(&mu);
    pthread_cleanup_push(unlock_cleanup, "cond_wait");
    started = 1;
    for (;;)
        pthread_cond_wait(&cv, &mu);
    pthread_cleanup_pop(1);
    return arg;
}

static void *sleep_worker(void *arg) {
    pthread_cleanup_push(cleanup, "nanosleep outer");
    pthread_cleanup_push(cleanup, "nanosleep inner");
    started = 1;
    struct timespec ts = {30, 0};
    nanosleep(&ts, NULL);
    printf("nanosleep returned\n");
    pthread_cleanup_pop(0);
    pthread_cleanup_pop(0);
    return arg;
}

static void *read_worker(void *arg) {
    char c;
    pthread_cleanup_push(cleanup, "read");
    started = 1;
    ssize_t n = read(pipefd[0], &c, 1);
    printf("read returned %zd\n", n);
    pthread_cleanup_pop(0);
    return arg;
}

static void *disabled_worker(void *arg) {
    int old;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
    started = 1;
    struct timespec ts = {0, 50000000};
    nanosleep(&ts, NULL);      /* not cut short: cancellation is disabled */
    printf("disabled worker slept through the cancel\n");
    pthread_setcancelstate(old, NULL);
    return (void *)7;
}

static void *testcancel_worker(void *arg) {
    pthread_cleanup_push(cleanup, "testcancel");
    started = 1;
    while (!spin_stop)
        ;
    pthread_testcancel();
    printf("not reached\n");
    pthread_cleanup_pop(0);
    return arg;
}

static void run(const char *name, void *(*fn)(void *), int stop_spin) {
    pthread_t t;
    void *res;
    started = 0;
    spin_stop = 0;
    pthread_create(&t, NULL, fn, NULL);
    while (!started)
        usleep(1000);
    usleep(20000);             /* let it block in its cancellation point */
    int rc = pthread_cancel(t);
    if (stop_spin)
        spin_stop = 1;
    int jr = pthread_join(t, &res);
    printf("%s: cancel=%d join=%d canceled=%d\n", name, rc, jr, res == PTHREAD_CANCELED);
    if (res != PTHREAD_CANCELED)
        printf("%s: result=%ld\n", name, (long)res);
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (pipe(pipefd))
        return 1;
    run("cond_wait", cond_worker, 0);
    /* the mutex was released by the cleanup handler */
    printf("mutex free after cancel: %d\n", pthread_mutex_trylock(&mu) == 0);
    pthread_mutex_unlock(&mu);
    run("nanosleep", sleep_worker, 0);
    run("read", read_worker, 0);
    run("disabled", disabled_worker, 0);
    run("testcancel", testcancel_worker, 1);
    printf("done\n");
    return 0;
}
