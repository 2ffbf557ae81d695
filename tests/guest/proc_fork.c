/* fork + wait: exit statuses, children killed by signals, WNOHANG, waitid, rusage,
   copy-on-write memory vs MAP_SHARED memory, getppid, setpgid/getpgid/setsid. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int private_counter = 1;

int main(void) {
    int *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    *shared = 10;
    pid_t me = getpid();
    /* Normal exit codes. */
    for (int code = 0; code < 3; code++) {
        pid_t pid = fork();
        if (pid == 0) {
            private_counter = 100;          /* copy-on-write: the parent keeps 1 */
            *shared += 1;                   /* MAP_SHARED: the parent sees it */
            if (getppid() != me) _exit(99);
            _exit(code * 21);
        }
        int st;
        pid_t got = waitpid(pid, &st, 0);
        printf("exit: same=%d exited=%d code=%d\n", got == pid, WIFEXITED(st), WEXITSTATUS(st));
    }
    printf("private=%d shared=%d\n", private_counter, *shared);
    /* Killed by signals: by the parent, and by itself (abort, a fault). */
    pid_t pid = fork();
    if (pid == 0) { for (;;) pause(); }
    kill(pid, SIGTERM);
    int st;
    waitpid(pid, &st, 0);
    printf("term: signaled=%d sig=%d\n", WIFSIGNALED(st), WTERMSIG(st));
    pid = fork();
    if (pid == 0) { abort(); }
    waitpid(pid, &st, 0);
    printf("abort: signaled=%d sig=%d\n", WIFSIGNALED(st), WTERMSIG(st));
    pid = fork();
    if (pid == 0) { *(volatile int *)16 = 1; _exit(0); }
    waitpid(pid, &st, 0);
    printf("segv: signaled=%d sig=%d\n", WIFSIGNALED(st), WTERMSIG(st));
    /* WNOHANG on a running child, then SIGKILL and wait4 with rusage. */
    int p[2];
    pipe(p);
    pid = fork();
    if (pid == 0) { char c; close(p[1]); read(p[0], &c, 1); _exit(7); }
    close(p[0]);
    printf("wnohang: %d\n", (int)waitpid(pid, &st, WNOHANG));
    write(p[1], "x", 1);
    struct rusage ru;
    memset(&ru, 0xff, sizeof ru);
    pid_t got = wait4(pid, &st, 0, &ru);
    printf("wait4: same=%d code=%d rusage_sane=%d\n", got == pid, WEXITSTATUS(st),
           ru.ru_utime.tv_usec >= 0 && ru.ru_utime.tv_usec < 1000000 && ru.ru_maxrss > 0);
    /* waitid with siginfo. */
    pid = fork();
    if (pid == 0) _exit(42);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    int r = waitid(P_PID, pid, &si, WEXITED);
    printf("waitid: r=%d signo=%d code=%d pid_ok=%d status=%d\n", r, si.si_signo,
           si.si_code == CLD_EXITED, si.si_pid == pid, si.si_status);
    pid = fork();
    if (pid == 0) { raise(SIGKILL); _exit(0); }
    memset(&si, 0, sizeof si);
    waitid(P_ALL, 0, &si, WEXITED);
    printf("waitid-kill: code=%d status=%d\n", si.si_code == CLD_KILLED, si.si_status);
    /* No children left. */
    errno = 0;
    int w = (int)wait(&st);
    printf("echild: %d %s\n", w, strerror(errno));
    /* Process groups and sessions. */
    pid = fork();
    if (pid == 0) {
        int ok = setpgid(0, 0) == 0 && getpgid(0) == getpid() && getpgrp() == getpid();
        pid_t sid = setsid();           /* a group leader may not start a session */
        int eperm = sid == -1 && errno == EPERM;
        _exit(ok && eperm ? 0 : 1);
    }
    waitpid(pid, &st, 0);
    printf("setpgid: %d\n", WEXITSTATUS(st));
    pid = fork();
    if (pid == 0) {
        pid_t sid = setsid();
        _exit(sid == getpid() && getsid(0) == getpid() && getpgid(0) == getpid() ? 0 : 1);
    }
    waitpid(pid, &st, 0);
    printf("setsid: %d\n", WEXITSTATUS(st));
    /* Stopped and continued children: WUNTRACED, WCONTINUED, __WALL. */
    pid = fork();
    if (pid == 0) { for (;;) pause(); }
    kill(pid, SIGSTOP);
    waitpid(pid, &st, WUNTRACED);
    printf("stopped: %d sig=%d\n", WIFSTOPPED(st), WSTOPSIG(st));
    kill(pid, SIGCONT);
    waitpid(pid, &st, WCONTINUED);
    printf("continued: %d\n", WIFCONTINUED(st));
    kill(pid, SIGKILL);
    waitpid(pid, &st, __WALL);
    printf("killed: %d sig=%d\n", WIFSIGNALED(st), WTERMSIG(st));
    /* Raw clone with the architecture's argument order: CLONE_CHILD_SETTID / PARENT_SETTID. */
    static volatile int ptid, ctid;
    long cr = syscall(SYS_clone, CLONE_PARENT_SETTID | CLONE_CHILD_SETTID | SIGCHLD, 0,
                      &ptid,
#if defined(__aarch64__) || defined(__arm__)
                      0, &ctid);                 /* CONFIG_CLONE_BACKWARDS: tls before ctid */
#else
                      &ctid, 0);                 /* x86-64: ctid before tls */
#endif
    if (cr == 0) _exit(ctid == syscall(SYS_getpid) ? 5 : 6);
    waitpid(cr, &st, 0);
    printf("clone: ptid_ok=%d child=%d\n", ptid == cr, WEXITSTATUS(st));
    return 0;
}
