/* Thread exits: a thread's exit() ends the whole process (exit_group) with its status
   while the main thread is blocked; pthread_exit from main lets the others finish. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *finisher(void *arg) {
    usleep(20000);
    printf("worker %ld done\n", (long)arg);
    fflush(stdout);
    return NULL;
}

static void *exiter(void *arg) {
    usleep(20000);
    printf("worker calls exit(%ld)\n", (long)arg);
    fflush(stdout);
    exit((int)(long)arg);
}

int main(int argc, char **argv) {
    pthread_t t;
    if (argc > 1 && strcmp(argv[1], "exit") == 0) {
        pthread_create(&t, NULL, exiter, (void *)42L);
        for (;;)
            pause();               /* blocked: the worker's exit must end us */
    }
    if (argc > 1 && strcmp(argv[1], "spin") == 0) {
        pthread_create(&t, NULL, exiter, (void *)43L);
        volatile unsigned long n = 0;
        for (;;)
            n++;                   /* spinning: the worker's exit must still end us */
    }
    pthread_create(&t, NULL, finisher, (void *)1L);
    printf("main thread exits first\n");
    fflush(stdout);
    pthread_exit(NULL);            /* the process lives on until the worker returns */
}
