/* kill() between processes: a child with a handler, a child killed by default action,
 * and SIGCHLD with its siginfo in the parent. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t child_got, chld_count, chld_code, chld_pid, chld_status;

static void on_usr1(int sig) { child_got = sig; }

static void on_chld(int sig, siginfo_t *si, void *uc) {
    (void)sig; (void)uc;
    chld_count++;
    chld_code = si->si_code;
    chld_pid = si->si_pid;
    chld_status = si->si_status;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_chld;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGCHLD, &sa, NULL);

    int p[2];
    pipe(p);
    pid_t pid = fork();
    if (pid == 0) {
        /* SIGUSR1 stays blocked but in sigsuspend: one arriving between the check and a
         * pause() would leave the child waiting forever (a slow emulator widens that gap). */
        sigset_t block, none;
        sigemptyset(&block);
        sigaddset(&block, SIGUSR1);
        sigprocmask(SIG_BLOCK, &block, &none);
        signal(SIGUSR1, on_usr1);
        write(p[1], "r", 1);
        while (!child_got)
            sigsuspend(&none);
        _exit(child_got);
    }
    char c;
    read(p[0], &c, 1);
    kill(pid, SIGUSR1);
    int st;
    while (waitpid(pid, &st, 0) < 0)
        ;
    printf("child exited=%d status=%d\n", WIFEXITED(st), WEXITSTATUS(st));

    pid_t pid2 = fork();
    if (pid2 == 0) {
        write(p[1], "r", 1);
        for (;;)
            pause();
    }
    read(p[0], &c, 1);
    kill(pid2, SIGTERM);
    while (waitpid(pid2, &st, 0) < 0)
        ;
    printf("child2 signaled=%d sig=%d\n", WIFSIGNALED(st), WTERMSIG(st));
    /* SIGCHLD may still be on its way from the host: wait for both. */
    for (int i = 0; i < 500 && chld_count < 2; i++)
        usleep(10000);
    printf("sigchld count>=1=%d last_code=%d pid_ok=%d\n", chld_count >= 1, chld_code,
           chld_pid == pid2);
    return 0;
}
