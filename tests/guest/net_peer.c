/* A loopback TCP echo where the server is another thread (pthread_create) or another
 * process (fork) of the same guest program. Usage: net_peer thread|fork ROUNDS */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int listener;

static void *serve(void *arg) {
    int c = accept(listener, NULL, NULL);
    char buf[512];
    long total = 0;
    ssize_t n;
    while ((n = recv(c, buf, sizeof buf, 0)) > 0) {
        total += n;
        send(c, buf, n, 0);
    }
    close(c);
    return (void *)total;
}

int main(int argc, char **argv) {
    int rounds = atoi(argv[2]);
    listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (bind(listener, (struct sockaddr *)&a, sizeof a) || listen(listener, 1) ||
        getsockname(listener, (struct sockaddr *)&a, &len)) {
        perror("listen");
        return 1;
    }
    pthread_t t;
    pid_t child = -1;
    if (strcmp(argv[1], "thread") == 0) {
        pthread_create(&t, NULL, serve, NULL);
    } else if ((child = fork()) == 0) {
        long total = (long)serve(NULL);
        _exit(total == 0 ? 1 : 0);
    }
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(s, (struct sockaddr *)&a, sizeof a)) {
        perror("connect");
        return 1;
    }
    long echoed = 0, sent = 0;
    int bad = 0;
    for (int i = 0; i < rounds; i++) {
        char msg[64], back[64];
        int n = snprintf(msg, sizeof msg, "message number %d", i);
        send(s, msg, n, 0);
        sent += n;
        int got = 0;
        while (got < n) {
            ssize_t r = recv(s, back + got, n - got, 0);
            if (r <= 0) break;
            got += r;
        }
        echoed += got;
        bad += got != n || memcmp(msg, back, n) != 0;
    }
    shutdown(s, SHUT_WR);
    char tmp;
    ssize_t eof = recv(s, &tmp, 1, 0);
    long served = -1;
    if (child < 0) {
        void *ret;
        pthread_join(t, &ret);
        served = (long)ret;
    } else {
        int st;
        waitpid(child, &st, 0);
        served = WIFEXITED(st) && WEXITSTATUS(st) == 0 ? sent : -1;
    }
    printf("%s: rounds=%d bad=%d echoed_all=%d served_all=%d eof=%d\n", argv[1], rounds, bad,
           echoed == sent, served == sent, (int)eof);
    return 0;
}
