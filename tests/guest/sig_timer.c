/* Asynchronous signals from ITIMER_REAL: a handler that interrupts a computation mid-loop
 * (integer and floating-point registers must survive many interruptions), sigsuspend,
 * SA_RESTART vs EINTR on a blocking pipe read, pause, nanosleep. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <poll.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t ticks;
static volatile double sink;
static int pipefd[2];
static volatile int wrote;

static void on_tick(int sig) {
    (void)sig;
    /* Clobber caller-saved integer and VFP registers. */
    double a = ticks * 1.5, b = 0.25, c = 3.0, d = -1.0;
    for (int i = 0; i < 50; i++) {
        a = a * 1.01 + b;
        b = b * c - d;
        c = c / 1.5 + a * 1e-9;
        d = d - a * b * 1e-12;
    }
    sink = a + b + c + d;
    ticks++;
}

static void on_alarm_write(int sig) {
    (void)sig;
    ticks++;
    if (write(pipefd[1], "x", 1) == 1)
        wrote++;
}

static void arm_timer(long first_us, long every_us) {
    struct itimerval it = {{every_us / 1000000, every_us % 1000000},
                           {first_us / 1000000, first_us % 1000000}};
    setitimer(ITIMER_REAL, &it, NULL);
}

struct result { double acc, x; uint32_t a, b, c; };

static struct result loop(long n, int until_ticks, long *done) {
    struct result r = {0.0, 1.0, 1, 2, 3};
    long i;
    for (i = 0; until_ticks ? ticks < until_ticks : i < n; i++) {
        r.acc += r.x * 0.5;
        r.x = r.x * 1.0000001 + 1e-12;
        r.a = r.a * 1103515245u + 12345u;
        r.b ^= r.a >> 3;
        r.c += r.b ^ (uint32_t)i;
    }
    *done = i;
    return r;
}

int main(void) {
    struct sigaction sa;
    setvbuf(stdout, NULL, _IONBF, 0);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_tick;
    sigaction(SIGALRM, &sa, NULL);

    /* 1. mid-loop interruptions */
    long n, m;
    arm_timer(1000, 1000);
    struct result r1 = loop(0, 30, &n);
    arm_timer(0, 0);
    struct result r2 = loop(n, 0, &m);
    printf("interrupted>=30: %d, same result: %d\n", ticks >= 30,
           m == n && memcmp(&r1, &r2, sizeof r1) == 0);

    /* 2. sigsuspend with SIGALRM blocked outside it */
    sigset_t block, empty, now;
    sigemptyset(&block);
    sigaddset(&block, SIGALRM);
    sigemptyset(&empty);
    sigprocmask(SIG_BLOCK, &block, NULL);
    ticks = 0;
    arm_timer(50000, 0);
    int rc = sigsuspend(&empty);
    int e = errno;
    sigprocmask(SIG_BLOCK, NULL, &now);
    printf("sigsuspend rc=%d EINTR=%d ticks=%d alrm still blocked=%d\n", rc, e == EINTR, ticks,
           sigismember(&now, SIGALRM));
    sigprocmask(SIG_UNBLOCK, &block, NULL);

    /* 3. blocking read: EINTR without SA_RESTART, restarted with it */
    pipe(pipefd);
    char c;
    sa.sa_handler = on_tick;
    sa.sa_flags = 0;
    sigaction(SIGALRM, &sa, NULL);
    ticks = 0;
    arm_timer(50000, 0);
    ssize_t got = read(pipefd[0], &c, 1);
    e = errno;
    printf("read without SA_RESTART: %zd EINTR=%d ticks=%d\n", got, e == EINTR, ticks);
    sa.sa_handler = on_alarm_write;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    ticks = 0;
    arm_timer(50000, 0);
    got = read(pipefd[0], &c, 1);
    printf("read with SA_RESTART: %zd byte=%c ticks=%d\n", got, got == 1 ? c : '?', ticks);

    /* 4. pause and nanosleep end with EINTR (nanosleep even under SA_RESTART) */
    ticks = 0;
    arm_timer(50000, 0);
    rc = pause();
    e = errno;
    printf("pause rc=%d EINTR=%d ticks=%d\n", rc, e == EINTR, ticks);
    struct timespec t0, t1, req = {5, 0}, rem = {0, 0};
    clock_gettime(CLOCK_MONOTONIC, &t0);
    arm_timer(50000, 0);
    rc = nanosleep(&req, &rem);
    e = errno;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("nanosleep rc=%d EINTR=%d short=%d rem_ok=%d\n", rc, e == EINTR,
           t1.tv_sec - t0.tv_sec < 3, rem.tv_sec >= 4 && rem.tv_sec <= 5);
    arm_timer(50000, 0);
    printf("sleep(5) interrupted returns %u\n", sleep(5));

    /* 5. poll ends with EINTR even under SA_RESTART; waitpid is EINTR without SA_RESTART
     * (the child is still there to be reaped) and restarted with it. */
    int quiet[2];
    pipe(quiet);
    struct pollfd pfd = {quiet[0], POLLIN, 0};
    sa.sa_handler = on_tick;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    arm_timer(50000, 0);
    rc = poll(&pfd, 1, 5000);
    e = errno;
    printf("poll rc=%d EINTR=%d\n", rc, e == EINTR);
    for (int restart = 0; restart < 2; restart++) {
        pid_t child = fork();
        if (child == 0) {
            usleep(300000);
            _exit(3);
        }
        sa.sa_flags = restart ? SA_RESTART : 0;
        sigaction(SIGALRM, &sa, NULL);
        arm_timer(50000, 0);
        int st = 0;
        pid_t w = waitpid(child, &st, 0);
        e = errno;
        if (w < 0)
            w = waitpid(child, &st, 0);
        printf("waitpid SA_RESTART=%d first EINTR=%d then status=%d\n", restart,
               e == EINTR && !restart, WEXITSTATUS(st));
    }

    /* 6. alarm() and getitimer */
    struct itimerval cur;
    alarm(100);
    getitimer(ITIMER_REAL, &cur);
    printf("alarm pending=%d left=%d\n", cur.it_value.tv_sec > 90, alarm(0) > 90);
    return 0;
}
