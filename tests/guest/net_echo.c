/* A TCP echo server and client over loopback, for two separate guest processes.
 *   net_echo server ADDR   bind ADDR (127.0.0.1 or ::1) port 0, print the port, serve one
 *                          client: echo everything until EOF, then print the byte count.
 *   net_echo client ADDR PORT MESSAGE...   send the words, half-close, print the reply. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int addr_of(const char *host, int port, struct sockaddr_storage *ss, socklen_t *len) {
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons(port);
        *len = sizeof *a4;
        return AF_INET;
    }
    if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons(port);
        *len = sizeof *a6;
        return AF_INET6;
    }
    return -1;
}

static void die(const char *what) {
    printf("%s: %s\n", what, strerror(errno));
    exit(1);
}

int main(int argc, char **argv) {
    struct sockaddr_storage ss;
    socklen_t len;
    if (argc == 3 && strcmp(argv[1], "server") == 0) {
        int fam = addr_of(argv[2], 0, &ss, &len);
        int s = socket(fam, SOCK_STREAM, 0);
        if (s < 0 || bind(s, (struct sockaddr *)&ss, len) < 0 || listen(s, 1) < 0)
            die("server");
        len = sizeof ss;
        getsockname(s, (struct sockaddr *)&ss, &len);
        printf("port %d\n", ntohs(fam == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                                 : ((struct sockaddr_in6 *)&ss)->sin6_port));
        fflush(stdout);
        int c = accept(s, NULL, NULL);
        if (c < 0)
            die("accept");
        char buf[256];
        long total = 0;
        ssize_t n;
        while ((n = read(c, buf, sizeof buf)) > 0) {
            total += n;
            for (ssize_t off = 0; off < n;) {
                ssize_t w = write(c, buf + off, n - off);
                if (w < 0)
                    die("write");
                off += w;
            }
        }
        printf("served %ld bytes\n", total);
        close(c);
        return 0;
    }
    if (argc >= 4 && strcmp(argv[1], "client") == 0) {
        int fam = addr_of(argv[2], atoi(argv[3]), &ss, &len);
        int s = socket(fam, SOCK_STREAM, 0);
        if (s < 0 || connect(s, (struct sockaddr *)&ss, len) < 0)
            die("connect");
        for (int i = 4; i < argc; i++) {
            dprintf(s, "%s%s", argv[i], i + 1 < argc ? " " : "\n");
        }
        shutdown(s, SHUT_WR);
        char buf[256];
        ssize_t n;
        while ((n = read(s, buf, sizeof buf)) > 0)
            fwrite(buf, 1, n, stdout);
        return 0;
    }
    fprintf(stderr, "usage: net_echo server ADDR | client ADDR PORT WORDS...\n");
    return 2;
}
