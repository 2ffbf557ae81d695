/* fork in a multithreaded process: from the main thread while another thread runs, and
   from a second thread; the child has one thread and its exit status reaches the parent. */
#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int stop;

static void *spinner(void *arg) {
    (void)arg;
    while (!stop) usleep(1000);
    return NULL;
}

static int fork_and_wait(int code) {
    pid_t pid = fork();
    if (pid == 0) {
        usleep(20000);          /* a thread left behind would keep running here */
        _exit(code);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void *forker(void *arg) {
    (void)arg;
    printf("fork from a thread: child status=%d\n", fork_and_wait(23));
    pid_t pid = fork();
    if (pid == 0) {
        printf("child of a thread runs, returns from the thread function\n");
        fflush(stdout);
        return NULL;            /* the child's only thread ends: exit status 0 */
    }
    int st;
    waitpid(pid, &st, 0);
    printf("thread child ended: exited=%d code=%d\n", WIFEXITED(st), WEXITSTATUS(st));
    return NULL;
}

static char *self;

static void *execer(void *arg) {
    (void)arg;
    char *nargv[] = {self, "exec'd", NULL};
    execv(self, nargv);         /* replaces the whole process, other threads included */
    return NULL;
}

int main(int argc, char **argv) {
    pthread_t spin, t;
    self = argv[0];
    if (argc > 1 && argv[1][0] == 'e' && argv[1][1] == 'x' && argv[1][2] == 'e') {
        if (argv[1][3] == 'c' && argv[1][4] == '\'') {
            printf("running after an exec from a thread\n");
            return 4;
        }
        pthread_create(&spin, NULL, spinner, NULL);
        pthread_create(&t, NULL, execer, NULL);
        pthread_join(t, NULL);
        return 1;
    }
    pthread_create(&spin, NULL, spinner, NULL);
    printf("fork from main with a thread running: child status=%d\n", fork_and_wait(17));
    fflush(stdout);
    pthread_create(&t, NULL, forker, NULL);
    pthread_join(t, NULL);
    stop = 1;
    pthread_join(spin, NULL);
    printf("done\n");
    return 0;
}
