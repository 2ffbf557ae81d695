/* A guest with a handler for a signal sent from outside (the test's os.kill on the pytrans
 * process): argv[1] "spin" waits in a pure computation loop, "pause" in pause(), "read" in a
 * blocking read of stdin (SA_RESTART off). argv[2] is the signal number. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static volatile sig_atomic_t got, code, from_parent;

static void on_sig(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    got = sig;
    code = si->si_code;
    from_parent = si->si_pid == getppid();
}

static volatile sig_atomic_t ticks;
static void on_tick(int sig) { (void)sig; ticks++; }

/* Many writes while SIGALRM (SA_RESTART) arrives every 0.5 ms: none may be lost or repeated. */
static int flood(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_tick;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, 500}, {0, 500}};
    setitimer(ITIMER_REAL, &it, NULL);
    char line[32];
    for (int i = 0; i < 4000 || ticks < 20; i++) {
        int n = snprintf(line, sizeof line, "line %d\n", i);
        if (write(1, line, n) != n)
            return 1;
    }
    return 0;
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "spin";
    if (!strcmp(mode, "flood"))
        return flood();
    if (!strcmp(mode, "stop")) {
        /* Default action "stop": the process stops until a SIGCONT from outside, whose
         * handler then runs. */
        struct sigaction sc;
        memset(&sc, 0, sizeof sc);
        sc.sa_sigaction = on_sig;
        sc.sa_flags = SA_SIGINFO;
        sigaction(SIGCONT, &sc, NULL);
        printf("ready\n");
        fflush(stdout);
        raise(SIGSTOP);
        printf("resumed got %d code=%d from_parent=%d\n", got, code, from_parent);
        return 0;
    }
    int sig = argc > 2 ? atoi(argv[2]) : SIGINT;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sig;
    sa.sa_flags = SA_SIGINFO;
    sigaction(sig, &sa, NULL);
    printf("ready\n");
    fflush(stdout);
    long spins = 0;
    int rc = 0, e = 0;
    if (!strcmp(mode, "spin")) {
        while (!got)
            spins++;
    } else if (!strcmp(mode, "pause")) {
        rc = pause();
        e = errno;
    } else {
        char c;
        rc = (int)read(0, &c, 1);
        e = errno;
    }
    printf("got %d code=%d from_parent=%d rc=%d eintr=%d\n", got, code, from_parent, rc,
           e == EINTR);
    return 0;
}
