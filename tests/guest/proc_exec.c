/* execve from a guest: guest programs, host programs, scripts, errors, descriptors across
   exec, vfork+exec, and pipe chains between processes. argv[1] picks the scenario. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/select.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int wait_status(pid_t pid) {
    int st;
    if (waitpid(pid, &st, 0) != pid) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* fork, exec argv in the child (stdin from `in` if >= 0), return its status. */
static int run(char *const argv[], int in) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        if (in >= 0) { dup2(in, 0); close(in); }
        execve(argv[0], argv, environ);
        printf("execve %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    if (in >= 0) close(in);
    return wait_status(pid);
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "args")) {            /* what an exec'd guest sees */
        for (int i = 0; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
        printf("PROC_ENV=%s\n", getenv("PROC_ENV") ? getenv("PROC_ENV") : "(unset)");
        printf("pid=%d\n", (int)getpid());
        return 3;
    }
    if (!strcmp(mode, "fd")) {              /* is descriptor argv[2] open after exec? */
        int fd = atoi(argv[2]);
        int r = fcntl(fd, F_GETFD);
        printf("fd %d: %s\n", fd, r < 0 ? strerror(errno) : "open");
        if (r >= 0 && argc > 3) { write(fd, argv[3], strlen(argv[3])); }
        return 0;
    }
    if (!strcmp(mode, "self")) {            /* exec ourselves in place: same pid */
        char pidbuf[32];
        snprintf(pidbuf, sizeof pidbuf, "%d", (int)getpid());
        printf("before pid=%s\n", pidbuf);
        fflush(stdout);
        char *nargv[] = {"-renamed-argv0", "args", "x y", "", "--", NULL};
        char *nenv[] = {"PROC_ENV=from-execve", NULL};
        execve(argv[0], nargv, nenv);
        printf("execve failed: %s\n", strerror(errno));
        return 1;
    }
    if (!strcmp(mode, "errors")) {
        char *nargv[] = {"x", NULL};
        const char *paths[] = {"/nonexistent/prog", "/tmp", argv[2], argv[3],
                               argc > 4 ? argv[4] : NULL, NULL};
        const char *names[] = {paths[0], paths[1], "noexec-file", "garbage-file",
                               "missing-interpreter"};
        for (int i = 0; paths[i]; i++) {
            errno = 0;
            execve(paths[i], nargv, environ);
            printf("%s: %s\n", names[i], strerror(errno));
        }
        return 0;
    }
    if (!strcmp(mode, "host")) {            /* a host program and a host script */
        char *echo[] = {"/bin/echo", "host", "echo", "ran", NULL};
        printf("status=%d\n", run(echo, -1));
        char *script[] = {argv[2], "one", "two", NULL};
        printf("status=%d\n", run(script, -1));
        return 0;
    }
    if (!strcmp(mode, "script")) {          /* a #! script whose interpreter is a guest */
        char *script[] = {argv[2], "scriptarg", NULL};
        printf("status=%d\n", run(script, -1));
        return 0;
    }
    if (!strcmp(mode, "cloexec")) {         /* pipe2(O_CLOEXEC), dup3, eventfd across exec */
        int a[2], b[2];
        pipe2(a, O_CLOEXEC);
        pipe2(b, 0);
        int d = dup3(b[1], 20, O_CLOEXEC);
        int e = eventfd(5, 0);
        char fa[16], fb[16], fd20[16], fe[16];
        snprintf(fa, sizeof fa, "%d", a[1]);
        snprintf(fb, sizeof fb, "%d", b[1]);
        snprintf(fd20, sizeof fd20, "%d", d);
        snprintf(fe, sizeof fe, "%d", e);
        char *c1[] = {argv[0], "fd", fa, NULL};
        char *c2[] = {argv[0], "fd", fb, "via-inherited-pipe", NULL};
        char *c3[] = {argv[0], "fd", fd20, NULL};
        char *c4[] = {argv[0], "fd", fe, NULL};
        run(c1, -1); run(c2, -1); run(c3, -1); run(c4, -1);
        close(b[1]); close(d);
        char buf[64] = {0};
        read(b[0], buf, sizeof buf - 1);
        printf("parent read: %s\n", buf);
        uint64_t v = 0;
        eventfd_write(e, 7);
        eventfd_read(e, &v);
        printf("eventfd: %llu\n", (unsigned long long)v);
        return 0;
    }
    if (!strcmp(mode, "execveat")) {        /* fexecve and a dirfd-relative execveat */
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            int fd = open(argv[0], O_RDONLY | O_CLOEXEC);
            char *nargv[] = {"via-fexecve", "args", NULL};
            fexecve(fd, nargv, environ);
            _exit(127);
        }
        printf("fexecve status=%d\n", wait_status(pid));
        fflush(stdout);
        pid = fork();
        if (pid == 0) {
            char dir[4096];
            strcpy(dir, argv[0]);
            char *slash = strrchr(dir, '/');
            *slash = 0;
            int dfd = open(dir, O_RDONLY | O_DIRECTORY);
            char *nargv[] = {"via-execveat", "args", NULL};
            syscall(SYS_execveat, dfd, slash + 1, nargv, environ, 0);
            _exit(127);
        }
        printf("execveat status=%d\n", wait_status(pid));
        return 0;
    }
    if (!strcmp(mode, "spawn")) {           /* CLONE_VM|CLONE_VFORK: the child's writes */
        static volatile int shared = 1;
        pid_t pid = vfork();
        if (pid == 0) { shared = 2; _exit(5); }
        printf("vfork child's write seen: %d status=%d\n", shared, wait_status(pid));
        char *nargv[] = {"nope", NULL};
        int r = posix_spawn(&pid, "/nonexistent/prog", NULL, NULL, nargv, environ);
        printf("posix_spawn missing: %s\n", strerror(r));
        r = posix_spawnp(&pid, "no-such-command-anywhere", NULL, NULL, nargv, environ);
        printf("posix_spawnp missing: %s\n", strerror(r));
        char *ok[] = {"/bin/true", NULL};
        r = posix_spawn(&pid, "/bin/true", NULL, NULL, ok, environ);
        printf("posix_spawn true: %d status=%d\n", r, wait_status(pid));
        printf("no children left: %d\n", (int)wait(NULL));
        return 0;
    }
    if (!strcmp(mode, "bigvfork")) {        /* vfork with a large, mostly untouched mapping */
        char *big = mmap(NULL, 512 << 20, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        big[12345] = 1;
        static volatile int x = 1;
        pid_t pid = vfork();
        if (pid == 0) { x = 2; big[4096 * 1000] = 7; _exit(3); }
        int st = wait_status(pid);
        printf("x=%d big=%d,%d status=%d\n", x, big[12345], big[4096 * 1000], st);
        return 0;
    }
    if (!strcmp(mode, "procfd")) {          /* generated /proc files across exec */
        int keep = open("/proc/self/cmdline", O_RDONLY);
        int drop = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
        char a[16], b[16];
        snprintf(a, sizeof a, "%d", keep);
        snprintf(b, sizeof b, "%d", drop);
        char *c1[] = {argv[0], "fd", a, NULL};
        char *c2[] = {argv[0], "fd", b, NULL};
        run(c1, -1);
        run(c2, -1);
        return 0;
    }
    if (!strcmp(mode, "vfork")) {
        fflush(stdout);
        pid_t pid = vfork();
        if (pid == 0) {
            char *nargv[] = {argv[0], "args", "from-vfork", NULL};
            execve(argv[0], nargv, environ);
            _exit(127);
        }
        printf("vfork child status=%d\n", wait_status(pid));
        return 0;
    }
    if (!strcmp(mode, "pipe")) {            /* parent -> pipe -> child's stdin -> exec wc */
        int p[2];
        pipe(p);
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            dup2(p[0], 0);
            close(p[0]); close(p[1]);
            char *nargv[] = {argv[2], "wc:", NULL};
            execve(argv[2], nargv, environ);
            _exit(127);
        }
        close(p[0]);
        for (int i = 0; i < 100; i++) dprintf(p[1], "line %d of the pipe\n", i);
        close(p[1]);
        printf("wc status=%d\n", wait_status(pid));
        return 0;
    }
    if (!strcmp(mode, "chain")) {           /* fork/exec/wait three levels deep */
        int depth = argc > 2 ? atoi(argv[2]) : 0;
        printf("level %d pid-ok=%d\n", depth, getpid() > 1);
        if (depth >= 3) return depth;
        char next[16];
        snprintf(next, sizeof next, "%d", depth + 1);
        char *nargv[] = {argv[0], "chain", next, NULL};
        int st = run(nargv, -1);
        printf("level %d child status=%d\n", depth, st);
        return st + 1;
    }
    if (!strcmp(mode, "sigexec")) {         /* signal state across exec */
        signal(SIGPIPE, SIG_IGN);
        signal(SIGINT, (void (*)(int))exit);    /* a handler: reset to SIG_DFL by exec */
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGUSR1);
        sigprocmask(SIG_BLOCK, &set, NULL);
        char *nargv[] = {argv[0], "sigshow", NULL};
        execve(argv[0], nargv, environ);
        return 1;
    }
    if (!strcmp(mode, "sigshow")) {
        struct sigaction sa;
        sigaction(SIGPIPE, NULL, &sa);
        printf("SIGPIPE ignored=%d\n", sa.sa_handler == SIG_IGN);
        sigaction(SIGINT, NULL, &sa);
        printf("SIGINT default=%d\n", sa.sa_handler == SIG_DFL);
        sigset_t set;
        sigprocmask(SIG_BLOCK, NULL, &set);
        printf("SIGUSR1 blocked=%d SIGUSR2 blocked=%d\n", sigismember(&set, SIGUSR1),
               sigismember(&set, SIGUSR2));
        int p[2];
        pipe(p);
        close(p[0]);
        errno = 0;
        int r = write(p[1], "x", 1);
        printf("write to a closed pipe: %d %s\n", r, strerror(errno));
        kill(getpid(), SIGUSR1);            /* blocked: stays pending, does not kill */
        sigpending(&set);
        printf("SIGUSR1 pending=%d\n", sigismember(&set, SIGUSR1));
        return 0;
    }
    if (!strcmp(mode, "poll")) {            /* poll/ppoll/select/pselect on a child's pipe */
        int p[2];
        pipe2(p, O_NONBLOCK);
        struct pollfd pfd = {p[0], POLLIN, 0};
        struct timespec zero = {0, 0};
        int r = ppoll(&pfd, 1, &zero, NULL);
        printf("ppoll empty: %d revents=%d\n", r, pfd.revents);
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) { usleep(100000); write(p[1], "hello", 5); _exit(0); }
        r = poll(&pfd, 1, 5000);
        printf("poll: %d revents=%d\n", r, pfd.revents);
        fd_set rs, ws;
        FD_ZERO(&rs); FD_ZERO(&ws);
        FD_SET(p[0], &rs); FD_SET(p[1], &ws);
        struct timeval tv = {5, 0};
        r = select(p[1] + 1, &rs, &ws, NULL, &tv);
        printf("select: %d read=%d write=%d\n", r, FD_ISSET(p[0], &rs), FD_ISSET(p[1], &ws));
        char buf[16];
        printf("read: %d\n", (int)read(p[0], buf, sizeof buf));
        FD_ZERO(&rs);
        FD_SET(p[0], &rs);
        struct timespec ts = {0, 20000000};
        r = pselect(p[0] + 1, &rs, NULL, NULL, &ts, NULL);
        printf("pselect timeout: %d read=%d\n", r, FD_ISSET(p[0], &rs));
        wait_status(pid);
        close(p[1]);
        r = poll(&pfd, 1, 1000);
        printf("poll after writer closed: %d hup=%d\n", r, !!(pfd.revents & POLLHUP));
        pfd.fd = 99;
        r = poll(&pfd, 1, 0);
        printf("poll bad fd: %d nval=%d\n", r, !!(pfd.revents & POLLNVAL));
        return 0;
    }
    if (!strcmp(mode, "tty")) {             /* job control calls on a controlling tty */
        struct termios t, t2;
        struct winsize ws;
        int a = isatty(0), b = tcgetattr(0, &t);
        printf("isatty=%d tcgetattr=%d\n", a, b);
        a = ioctl(0, TIOCGWINSZ, &ws);
        printf("winsz=%d rows=%d cols=%d\n", a, ws.ws_row, ws.ws_col);
        printf("fg-is-us=%d\n", tcgetpgrp(0) == getpgrp());
        printf("tcgetsid-is-sid=%d\n", tcgetsid(0) == getsid(0));
        signal(SIGTTOU, SIG_IGN);           /* a background group may then take the tty */
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            int ok = setpgid(0, 0) == 0 && getpgrp() == getpid();
            ok = ok && tcsetpgrp(0, getpid()) == 0 && tcgetpgrp(0) == getpid();
            _exit(ok ? 0 : 1);
        }
        int st = wait_status(pid);
        printf("child took the tty: %d fg-is-child=%d\n", st, tcgetpgrp(0) == pid);
        a = tcsetpgrp(0, getpgrp());
        printf("taken back=%d fg-is-us=%d\n", a, tcgetpgrp(0) == getpgrp());
        t.c_lflag &= ~ECHO;
        a = tcsetattr(0, TCSANOW, &t);
        tcgetattr(0, &t2);
        printf("tcsetattr=%d echo-off=%d\n", a, !(t2.c_lflag & ECHO));
        return 0;
    }
    if (!strcmp(mode, "system")) {          /* glibc: clone3 -> ENOSYS -> clone(CLONE_VFORK) */
        fflush(stdout);
        int st = system("echo from-system; exit 7");
        printf("system: exited=%d code=%d\n", WIFEXITED(st), WEXITSTATUS(st));
        FILE *f = popen("echo from-popen", "r");
        char line[64] = {0};
        fgets(line, sizeof line, f);
        printf("popen read: %s", line);
        printf("pclose: %d\n", WEXITSTATUS(pclose(f)));
        return 0;
    }
    fprintf(stderr, "unknown mode\n");
    return 2;
}
