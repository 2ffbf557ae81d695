/* pthreads under pytrans: a mutex-protected counter, atomics (ldrex/strex or ldxr/stxr),
   a condition-variable queue, per-thread TLS, join values, distinct tids, and
   detached threads. Every line of output is deterministic. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NTHREADS 4
#define ITERS 20000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static int atomic_counter;
static __thread int tls_value = 7;
static int tids[NTHREADS];

static void *adder(void *arg) {
    int id = (int)(long)arg;
    tls_value = 100 + id;
    tids[id] = (int)syscall(SYS_gettid);
    for (int i = 0; i < ITERS; i++) {
        pthread_mutex_lock(&lock);
        counter++;
        pthread_mutex_unlock(&lock);
        __atomic_fetch_add(&atomic_counter, 1, __ATOMIC_SEQ_CST);
        if (i % 5000 == 0)
            sched_yield();
    }
    if (tls_value != 100 + id)
        return (void *)-1L;
    return (void *)(long)(id * 10);
}

/* A bounded queue with two condition variables. */
#define QSIZE 8
static int queue[QSIZE], qhead, qcount;
static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER, not_full = PTHREAD_COND_INITIALIZER;

static void *producer(void *arg) {
    int n = (int)(long)arg;
    for (int i = 1; i <= n; i++) {
        pthread_mutex_lock(&qlock);
        while (qcount == QSIZE)
            pthread_cond_wait(&not_full, &qlock);
        queue[(qhead + qcount++) % QSIZE] = i;
        pthread_cond_signal(&not_empty);
        pthread_mutex_unlock(&qlock);
    }
    return NULL;
}

static void *consumer(void *arg) {
    int n = (int)(long)arg;
    long sum = 0;
    for (int i = 0; i < n; i++) {
        pthread_mutex_lock(&qlock);
        while (qcount == 0)
            pthread_cond_wait(&not_empty, &qlock);
        sum += queue[qhead];
        qhead = (qhead + 1) % QSIZE;
        qcount--;
        pthread_cond_signal(&not_full);
        pthread_mutex_unlock(&qlock);
    }
    return (void *)sum;
}

static pthread_barrier_t barrier;
static int arrived;

static void *at_barrier(void *arg) {
    __atomic_fetch_add(&arrived, 1, __ATOMIC_SEQ_CST);
    pthread_barrier_wait(&barrier);
    return arg;
}

int main(void) {
    pthread_t th[NTHREADS];
    for (long i = 0; i < NTHREADS; i++)
        if (pthread_create(&th[i], NULL, adder, (void *)i) != 0) {
            printf("pthread_create failed\n");
            return 1;
        }
    long joined = 0;
    for (int i = 0; i < NTHREADS; i++) {
        void *ret;
        pthread_join(th[i], &ret);
        joined += (long)ret;
    }
    printf("counter=%ld atomic=%d joined=%ld main_tls=%d\n", counter, atomic_counter, joined,
           tls_value);
    int distinct = 1, pid = getpid();
    for (int i = 0; i < NTHREADS; i++)
        for (int j = 0; j < NTHREADS; j++)
            if ((i != j && tids[i] == tids[j]) || tids[i] == pid || tids[i] <= 0)
                distinct = 0;
    printf("tids distinct from each other and the pid: %s\n", distinct ? "yes" : "no");

    pthread_t p, c;
    pthread_create(&c, NULL, consumer, (void *)5000L);
    pthread_create(&p, NULL, producer, (void *)5000L);
    void *sum;
    pthread_join(p, NULL);
    pthread_join(c, &sum);
    printf("queue sum=%ld\n", (long)sum);

    pthread_barrier_init(&barrier, NULL, NTHREADS + 1);
    for (long i = 0; i < NTHREADS; i++)
        pthread_create(&th[i], NULL, at_barrier, (void *)i);
    pthread_barrier_wait(&barrier);
    printf("barrier passed by %d threads\n", arrived);
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(th[i], NULL);
    return 0;
}
