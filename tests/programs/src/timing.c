/* timing: clocks go forward and sleeping takes time.  Prints booleans only. */
#include <stdio.h>
#include <time.h>
#include <sys/time.h>
#include <unistd.h>

static long long ns(const struct timespec *t) { return t->tv_sec * 1000000000LL + t->tv_nsec; }

int main(void)
{
    struct timespec m0, m1, m2, r0, c0, c1;
    printf("clock_gettime(MONOTONIC): %d\n", clock_gettime(CLOCK_MONOTONIC, &m0));
    clock_gettime(CLOCK_MONOTONIC, &m1);
    printf("monotonic non-decreasing: %d\n", ns(&m1) >= ns(&m0));
    printf("tv_nsec in range: %d\n", m0.tv_nsec >= 0 && m0.tv_nsec < 1000000000L);

    struct timespec req = { 0, 10 * 1000 * 1000 }, rem = { 0, 0 };
    int r = nanosleep(&req, &rem);
    clock_gettime(CLOCK_MONOTONIC, &m2);
    long long slept = ns(&m2) - ns(&m1);
    printf("nanosleep(10ms) returned %d\n", r);
    printf("slept >= 10ms: %d, < 5s: %d\n", slept >= 10000000LL, slept < 5000000000LL);

    clock_gettime(CLOCK_REALTIME, &r0);
    struct timeval tv;
    printf("gettimeofday: %d\n", gettimeofday(&tv, NULL));
    long long diff = (long long)tv.tv_sec - (long long)r0.tv_sec;
    printf("realtime after 2020: %d, gettimeofday agrees: %d, usec in range: %d\n",
           r0.tv_sec > 1577836800, diff >= 0 && diff <= 2, tv.tv_usec >= 0 && tv.tv_usec < 1000000);
    time_t t = time(NULL);
    printf("time() agrees: %d\n", t - r0.tv_sec >= 0 && t - r0.tv_sec <= 2);
    printf("sizeof(time_t) >= 4: %d\n", sizeof(time_t) >= 4);

    struct tm tmv;
    time_t fixed = 1000000000;     /* 2001-09-09 01:46:40 UTC */
    gmtime_r(&fixed, &tmv);
    char buf[64];
    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tmv);
    printf("gmtime(1e9) = %s wday=%d yday=%d\n", buf, tmv.tm_wday, tmv.tm_yday);
    tmv.tm_mday += 30;
    printf("timegm(+30 days) = %lld\n", (long long)timegm(&tmv));

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
    volatile unsigned x = 1;
    for (int i = 0; i < 200000; i++) x = x * 1103515245u + 12345u;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
    printf("cputime non-decreasing: %d\n", ns(&c1) >= ns(&c0));
    clock_t ck = clock();
    printf("clock() non-negative: %d\n", ck >= 0);
    usleep(1000);
    struct timespec m3;
    clock_gettime(CLOCK_MONOTONIC, &m3);
    printf("usleep advanced monotonic: %d\n", ns(&m3) > ns(&m2));
    return 0;
}
