/* epoll over pipes and a socketpair: readiness, the guest's data word coming back intact
 * (a 64-bit value), EPOLL_CTL_MOD/DEL, timeouts and errors. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int main(void) {
    int ep = epoll_create1(EPOLL_CLOEXEC);
    int p[2], q[2], sv[2];
    pipe(p);
    pipe(q);
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0x1122334455667788ULL};
    printf("ctl add=%d\n", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
    ev.data.u64 = 0xdeadbeefcafef00dULL;
    printf("ctl add2=%d\n", epoll_ctl(ep, EPOLL_CTL_ADD, q[0], &ev));
    ev.events = EPOLLOUT;
    ev.data.fd = sv[0];
    printf("ctl add3=%d\n", epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev));
    printf("ctl dup r=%d eexist=%d\n", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), errno == EEXIST);
    printf("ctl badfd r=%d ebadf=%d\n", epoll_ctl(ep, EPOLL_CTL_ADD, 999, &ev), errno == EBADF);

    struct epoll_event out[8];
    memset(out, 0, sizeof out);
    int n = epoll_wait(ep, out, 8, 0);
    printf("ready n=%d out_is_sv0=%d events=%#x\n", n, out[0].data.fd == sv[0], out[0].events);
    write(q[1], "x", 1);
    ev.events = EPOLLIN;
    ev.data.fd = sv[0];
    epoll_ctl(ep, EPOLL_CTL_MOD, sv[0], &ev);
    n = epoll_wait(ep, out, 8, 1000);
    printf("after write n=%d data=%#llx events=%#x\n", n, (unsigned long long)out[0].data.u64,
           out[0].events);
    write(p[1], "y", 1);
    write(sv[1], "z", 1);
    memset(out, 0, sizeof out);
    n = epoll_wait(ep, out, 8, 1000);
    int seen_p = 0, seen_q = 0, seen_s = 0;
    for (int i = 0; i < n; i++) {
        seen_p |= out[i].data.u64 == 0x1122334455667788ULL;
        seen_q |= out[i].data.u64 == 0xdeadbeefcafef00dULL;
        seen_s |= out[i].data.fd == sv[0];
    }
    printf("three ready n=%d p=%d q=%d s=%d\n", n, seen_p, seen_q, seen_s);
    n = epoll_wait(ep, out, 1, 1000);
    printf("maxevents=1 n=%d\n", n);
    epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL);
    epoll_ctl(ep, EPOLL_CTL_DEL, q[0], NULL);
    epoll_ctl(ep, EPOLL_CTL_DEL, sv[0], NULL);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    n = epoll_wait(ep, out, 8, 100);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    printf("timeout n=%d waited=%d\n", n, ms >= 90 && ms < 2000);
    printf("bad maxevents r=%d einval=%d\n", epoll_wait(ep, out, 0, 0), errno == EINVAL);
    printf("not epoll r=%d einval=%d\n", epoll_wait(p[0], out, 1, 0), errno == EINVAL);
    int old = epoll_create(1);
    printf("epoll_create ok=%d\n", old >= 0);
    sigset_t none;
    sigemptyset(&none);
    n = epoll_pwait(old, out, 1, 10, &none);
    printf("pwait n=%d\n", n);
    return 0;
}
