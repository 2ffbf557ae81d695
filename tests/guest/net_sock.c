/* Sockets in one process: TCP over loopback (IPv4, IPv6), UDP with sendmmsg/recvmmsg,
 * AF_UNIX socketpair with SCM_RIGHTS and SCM_CREDENTIALS, AF_UNIX path and abstract names,
 * socket options. Prints one line per check; values that vary (ports, pids) are compared
 * in the program and printed as yes/no. Usage: net_sock FILE (a scratch file path). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define CHECK(x) do { if ((x) < 0) { printf("FAIL %s: %s\n", #x, strerror(errno)); exit(1); } } while (0)

static void tcp(int family) {
    const char *tag = family == AF_INET ? "tcp4" : "tcp6";
    struct sockaddr_storage ss = {0}, peer = {0}, local = {0};
    socklen_t len;
    int srv = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CHECK(srv);
    int one = 1;
    CHECK(setsockopt(srv, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
    int v = 0;
    len = sizeof v;
    CHECK(getsockopt(srv, SOL_SOCKET, SO_REUSEADDR, &v, &len));
    printf("%s reuseaddr=%d len=%u\n", tag, v != 0, (unsigned)len);
    if (family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof *a;
    } else {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
        len = sizeof *a;
    }
    if (bind(srv, (struct sockaddr *)&ss, len) < 0) {
        printf("%s bind failed: %s\n", tag, strerror(errno));
        close(srv);
        return;
    }
    CHECK(listen(srv, 4));
    socklen_t slen = sizeof ss;
    CHECK(getsockname(srv, (struct sockaddr *)&ss, &slen));
    int port = family == AF_INET ? ntohs(((struct sockaddr_in *)&ss)->sin_port)
                                 : ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    printf("%s getsockname len=%u family_ok=%d port_set=%d\n", tag, (unsigned)slen,
           ss.ss_family == family, port != 0);

    /* Nothing queued: a non-blocking accept says EAGAIN. */
    CHECK(fcntl(srv, F_SETFL, O_NONBLOCK));
    int r = accept(srv, NULL, NULL);
    printf("%s accept O_NONBLOCK r=%d eagain=%d\n", tag, r, errno == EAGAIN);
    CHECK(fcntl(srv, F_SETFL, 0));

    int cli = socket(family, SOCK_STREAM, 0);
    CHECK(cli);
    CHECK(connect(cli, (struct sockaddr *)&ss, slen));
    len = sizeof peer;
    /* SOCK_NONBLOCK applies to the new descriptor, not to the wait. */
    int conn = accept4(srv, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    CHECK(conn);
    printf("%s accept4 flags nonblock=%d cloexec=%d\n", tag, (fcntl(conn, F_GETFL) & O_NONBLOCK) != 0,
           (fcntl(conn, F_GETFD) & FD_CLOEXEC) != 0);
    CHECK(fcntl(conn, F_SETFL, 0));
    socklen_t llen = sizeof local;
    CHECK(getsockname(cli, (struct sockaddr *)&local, &llen));
    printf("%s accept peer matches client: %d\n", tag, len == llen && memcmp(&peer, &local, len) == 0);
    llen = sizeof local;
    CHECK(getpeername(cli, (struct sockaddr *)&local, &llen));
    printf("%s getpeername matches server: %d\n", tag, llen == slen && memcmp(&local, &ss, slen) == 0);

    CHECK(setsockopt(cli, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one));
    v = 0; len = sizeof v;
    CHECK(getsockopt(cli, IPPROTO_TCP, TCP_NODELAY, &v, &len));
    printf("%s nodelay=%d\n", tag, v != 0);
    CHECK(getsockopt(cli, SOL_SOCKET, SO_TYPE, &v, &len));
    printf("%s so_type=%d\n", tag, v);
    CHECK(getsockopt(cli, SOL_SOCKET, SO_ERROR, &v, &len));
    printf("%s so_error=%d\n", tag, v);

    const char msg[] = "hello over loopback";
    CHECK(send(cli, msg, sizeof msg - 1, 0));
    char buf[128] = {0};
    ssize_t n = recv(conn, buf, sizeof buf, 0);
    CHECK(n);
    CHECK(send(conn, buf, n, MSG_NOSIGNAL));
    memset(buf, 0, sizeof buf);
    struct sockaddr_storage from;
    socklen_t flen = sizeof from;
    n = recvfrom(cli, buf, sizeof msg - 1, MSG_WAITALL, (struct sockaddr *)&from, &flen);
    CHECK(n);
    printf("%s echo: %.*s\n", tag, (int)n, buf);
    CHECK(shutdown(cli, SHUT_WR));
    n = recv(conn, buf, sizeof buf, 0);
    printf("%s after shutdown recv=%d\n", tag, (int)n);
    n = send(cli, "x", 1, MSG_NOSIGNAL);
    printf("%s send after SHUT_WR r=%d epipe=%d\n", tag, (int)n, errno == EPIPE);
    close(conn);
    close(cli);

    /* Non-blocking connect: EINPROGRESS (or at once on loopback), poll for POLLOUT, then
     * SO_ERROR says whether it worked; a refused port reports ECONNREFUSED that way. */
    int nb = socket(family, SOCK_STREAM | SOCK_NONBLOCK, 0);
    r = connect(nb, (struct sockaddr *)&ss, slen);
    int inprog = r == 0 || errno == EINPROGRESS;
    struct pollfd pf = {nb, POLLOUT, 0};
    int pr = poll(&pf, 1, 5000);
    int err = -1;
    len = sizeof err;
    CHECK(getsockopt(nb, SOL_SOCKET, SO_ERROR, &err, &len));
    printf("%s nonblocking connect inprogress=%d pollout=%d so_error=%d\n", tag, inprog,
           pr == 1 && (pf.revents & POLLOUT), err);
    close(nb);
    close(srv);
    nb = socket(family, SOCK_STREAM | SOCK_NONBLOCK, 0);
    r = connect(nb, (struct sockaddr *)&ss, slen);     /* nobody listens there now */
    inprog = r == 0 || errno == EINPROGRESS || errno == ECONNREFUSED;
    pf.fd = nb;
    poll(&pf, 1, 5000);
    err = 0;
    len = sizeof err;
    getsockopt(nb, SOL_SOCKET, SO_ERROR, &err, &len);
    printf("%s refused connect so_error_refused=%d\n", tag, inprog && (err == ECONNREFUSED || errno == ECONNREFUSED));
    close(nb);
}

static void options(void) {
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(s);
    struct timeval tv = {1, 500000}, got = {0, 0};
    socklen_t len = sizeof tv;
    CHECK(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
    CHECK(getsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &got, &len));
    printf("rcvtimeo %ld.%06ld len=%u\n", (long)got.tv_sec, (long)got.tv_usec, (unsigned)len);
    tv.tv_sec = 2; tv.tv_usec = 250000;
    CHECK(setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv));
    len = sizeof got;
    CHECK(getsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &got, &len));
    printf("sndtimeo %ld.%06ld\n", (long)got.tv_sec, (long)got.tv_usec);
    struct linger lg = {1, 7}, lg2 = {0, 0};
    int t = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(setsockopt(t, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
    len = sizeof lg2;
    CHECK(getsockopt(t, SOL_SOCKET, SO_LINGER, &lg2, &len));
    printf("linger onoff=%d linger=%d len=%u\n", lg2.l_onoff != 0, lg2.l_linger, (unsigned)len);
    close(t);

    /* SO_RCVTIMEO takes effect: recv on an empty socket gives up after ~0.2 s. */
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK(bind(s, (struct sockaddr *)&a, sizeof a));
    tv.tv_sec = 0; tv.tv_usec = 200000;
    CHECK(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char c;
    int r = recv(s, &c, 1, 0);
    int e = errno;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double dt = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("rcvtimeo wait r=%d eagain=%d in_time=%d\n", r, e == EAGAIN || e == EWOULDBLOCK,
           dt > 0.15 && dt < 2.0);
    int bad = setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, 3);
    printf("short timeval r=%d einval=%d\n", bad, errno == EINVAL);
    close(s);
}

static void udp(void) {
    int a = socket(AF_INET, SOCK_DGRAM, 0), b = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    CHECK(a); CHECK(b);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct sockaddr_in sb = sa;
    socklen_t len = sizeof sa;
    CHECK(bind(a, (struct sockaddr *)&sa, sizeof sa));
    CHECK(getsockname(a, (struct sockaddr *)&sa, &len));
    CHECK(bind(b, (struct sockaddr *)&sb, sizeof sb));
    len = sizeof sb;
    CHECK(getsockname(b, (struct sockaddr *)&sb, &len));
    CHECK(sendto(a, "dgram", 5, 0, (struct sockaddr *)&sb, sizeof sb));
    char buf[64];
    struct sockaddr_in from;
    len = sizeof from;
    ssize_t n = recvfrom(b, buf, sizeof buf, 0, (struct sockaddr *)&from, &len);
    CHECK(n);
    printf("udp recvfrom %.*s from_a=%d len=%u\n", (int)n, buf,
           from.sin_port == sa.sin_port && from.sin_addr.s_addr == sa.sin_addr.s_addr, (unsigned)len);

    /* sendmmsg three datagrams, recvmmsg them back in one call. */
    CHECK(connect(a, (struct sockaddr *)&sb, sizeof sb));
    struct mmsghdr out[3], in[4];
    struct iovec oiov[3], iiov[4];
    char ibuf[4][16];
    const char *words[3] = {"one", "three", "seven"};
    memset(out, 0, sizeof out);
    memset(in, 0, sizeof in);
    for (int i = 0; i < 3; i++) {
        oiov[i].iov_base = (void *)words[i];
        oiov[i].iov_len = strlen(words[i]);
        out[i].msg_hdr.msg_iov = &oiov[i];
        out[i].msg_hdr.msg_iovlen = 1;
    }
    for (int i = 0; i < 4; i++) {
        iiov[i].iov_base = ibuf[i];
        iiov[i].iov_len = sizeof ibuf[i];
        in[i].msg_hdr.msg_iov = &iiov[i];
        in[i].msg_hdr.msg_iovlen = 1;
    }
    int sent = sendmmsg(a, out, 3, 0);
    printf("sendmmsg=%d lens=%u,%u,%u\n", sent, out[0].msg_len, out[1].msg_len, out[2].msg_len);
    int got = recvmmsg(b, in, 4, MSG_WAITFORONE, NULL);
    printf("recvmmsg=%d", got);
    for (int i = 0; i < got; i++)
        printf(" %.*s", (int)in[i].msg_len, ibuf[i]);
    printf("\n");
    /* sendmsg/recvmsg with two iovecs each and a source address. */
    struct iovec two[2] = {{"scatter-", 8}, {"gather", 6}};
    struct msghdr mh = {.msg_iov = two, .msg_iovlen = 2};
    CHECK(sendmsg(a, &mh, 0));
    char p1[5], p2[32];
    struct iovec rv[2] = {{p1, sizeof p1}, {p2, sizeof p2}};
    struct sockaddr_in src;
    struct msghdr rh = {.msg_name = &src, .msg_namelen = sizeof src, .msg_iov = rv, .msg_iovlen = 2};
    n = recvmsg(b, &rh, 0);
    printf("recvmsg n=%d parts=%.5s|%.*s namelen=%u src_a=%d flags=%d\n", (int)n, p1, (int)n - 5, p2,
           (unsigned)rh.msg_namelen, src.sin_port == sa.sin_port, rh.msg_flags);
    /* A datagram larger than the buffer: MSG_TRUNC in msg_flags. */
    CHECK(send(a, "0123456789", 10, 0));
    struct iovec small = {p1, 4};
    struct msghdr th = {.msg_iov = &small, .msg_iovlen = 1};
    n = recvmsg(b, &th, 0);
    printf("truncated n=%d msg_trunc=%d\n", (int)n, (th.msg_flags & MSG_TRUNC) != 0);
    close(a);
    close(b);
}

static int count_fds(void) {
    int n = 0;
    for (int i = 0; i < 256; i++)
        n += fcntl(i, F_GETFD) >= 0;
    return n;
}

static void timestamps(void) {
    /* (qemu-user 7.2 refuses SO_TIMESTAMPNS, so this runs after the part compared with it.) */
    int a = socket(AF_INET, SOCK_DGRAM, 0), b = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sb = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sb;
    CHECK(bind(b, (struct sockaddr *)&sb, sizeof sb));
    CHECK(getsockname(b, (struct sockaddr *)&sb, &len));
    CHECK(connect(a, (struct sockaddr *)&sb, sizeof sb));
    ssize_t n;
    /* SO_TIMESTAMP / SO_TIMESTAMPNS: the receive time as a control message, in the guest's
     * struct timeval / timespec (32-bit fields on 32-bit ARM). */
    int one = 1;
    for (int ns = 0; ns < 2; ns++) {
        CHECK(setsockopt(b, SOL_SOCKET, ns ? SO_TIMESTAMPNS : SO_TIMESTAMP, &one, sizeof one));
        CHECK(send(a, "stamp", 5, 0));
        union { char buf[CMSG_SPACE(sizeof(struct timespec))]; struct cmsghdr align; } tctl;
        char sbuf[8];
        struct iovec siov = {sbuf, sizeof sbuf};
        struct msghdr sh = {.msg_iov = &siov, .msg_iovlen = 1, .msg_control = tctl.buf,
                            .msg_controllen = sizeof tctl.buf};
        n = recvmsg(b, &sh, 0);
        struct cmsghdr *tc = CMSG_FIRSTHDR(&sh);
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        long sec = 0, frac = -1;
        if (tc && !ns && tc->cmsg_type == SCM_TIMESTAMP) {
            struct timeval tv;
            memcpy(&tv, CMSG_DATA(tc), sizeof tv);
            sec = tv.tv_sec; frac = tv.tv_usec;
        } else if (tc && ns && tc->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec ts;
            memcpy(&ts, CMSG_DATA(tc), sizeof ts);
            sec = ts.tv_sec; frac = ts.tv_nsec;
        }
        printf("%s n=%d len_ok=%d recent=%d frac_ok=%d\n", ns ? "timestampns" : "timestamp", (int)n,
               tc && tc->cmsg_len == CMSG_LEN(ns ? sizeof(struct timespec) : sizeof(struct timeval)),
               sec <= now.tv_sec && sec >= now.tv_sec - 5,
               frac >= 0 && frac < (ns ? 1000000000L : 1000000L));
        CHECK(setsockopt(b, SOL_SOCKET, ns ? SO_TIMESTAMPNS : SO_TIMESTAMP, &(int){0}, sizeof(int)));
    }
    close(a);
    close(b);
}

static void recvmmsg_timeout(void) {
    /* The kernel checks the timeout only after each datagram: with one datagram and
     * MSG_WAITFORONE the call returns 1 and writes back the time left; a bad timeout is
     * EINVAL (qemu-user 7.2 gets this one wrong). */
    int a = socket(AF_INET, SOCK_DGRAM, 0), b = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sb = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sb;
    CHECK(bind(b, (struct sockaddr *)&sb, sizeof sb));
    CHECK(getsockname(b, (struct sockaddr *)&sb, &len));
    CHECK(sendto(a, "t", 1, 0, (struct sockaddr *)&sb, sizeof sb));
    char buf[4][8];
    struct iovec iov[4];
    struct mmsghdr in[4];
    memset(in, 0, sizeof in);
    for (int i = 0; i < 4; i++) {
        iov[i].iov_base = buf[i];
        iov[i].iov_len = sizeof buf[i];
        in[i].msg_hdr.msg_iov = &iov[i];
        in[i].msg_hdr.msg_iovlen = 1;
    }
    struct timespec tmo = {5, 0};
    int got = recvmmsg(b, in, 4, MSG_WAITFORONE, &tmo);
    printf("recvmmsg timeout got=%d left_ok=%d\n", got, tmo.tv_sec <= 5 && tmo.tv_sec >= 3);
    struct timespec badt = {0, 1000000000};
    printf("recvmmsg bad timeout r=%d einval=%d\n", recvmmsg(b, in, 4, MSG_DONTWAIT, &badt),
           errno == EINVAL);
    close(a);
    close(b);
}

static void unix_fds(const char *path) {
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK(fd);
    CHECK(write(fd, "passed through SCM_RIGHTS\n", 26));
    CHECK(lseek(fd, 0, SEEK_SET));
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    int one = 1;
    CHECK(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof one));

    char data = 'x';
    struct iovec iov = {&data, 1};
    union { char buf[CMSG_SPACE(2 * sizeof(int))]; struct cmsghdr align; } ctl;
    memset(&ctl, 0, sizeof ctl);
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
                        .msg_controllen = CMSG_SPACE(2 * sizeof(int))};
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(2 * sizeof(int));
    int two[2] = {fd, 1};       /* the file and stdout */
    memcpy(CMSG_DATA(c), two, sizeof two);
    CHECK(sendmsg(sv[0], &mh, 0));
    close(fd);

    char rdata = 0;
    struct iovec riov = {&rdata, 1};
    union { char buf[512]; struct cmsghdr align; } rctl;
    struct msghdr rh = {.msg_iov = &riov, .msg_iovlen = 1, .msg_control = rctl.buf,
                        .msg_controllen = sizeof rctl.buf};
    ssize_t n = recvmsg(sv[1], &rh, MSG_CMSG_CLOEXEC);
    CHECK(n);
    int got_fds = 0, creds = 0, newfd = -1, newout = -1;
    for (struct cmsghdr *m = CMSG_FIRSTHDR(&rh); m; m = CMSG_NXTHDR(&rh, m)) {
        if (m->cmsg_level == SOL_SOCKET && m->cmsg_type == SCM_RIGHTS) {
            int fds[2];
            got_fds = (m->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            memcpy(fds, CMSG_DATA(m), sizeof fds);
            newfd = fds[0];
            newout = fds[1];
        } else if (m->cmsg_level == SOL_SOCKET && m->cmsg_type == SCM_CREDENTIALS) {
            struct ucred u;
            memcpy(&u, CMSG_DATA(m), sizeof u);
            creds = u.pid == getpid() && u.uid == getuid() && u.gid == getgid();
        }
    }
    printf("scm n=%d data=%c fds=%d creds=%d flags=%d\n", (int)n, rdata, got_fds, creds, rh.msg_flags);
    char buf[64] = {0};
    n = read(newfd, buf, sizeof buf);
    printf("read via passed fd: %.*s", (int)n, buf);
    printf("passed fd cloexec=%d\n", (fcntl(newfd, F_GETFD) & FD_CLOEXEC) != 0);
    fflush(stdout);
    dprintf(newout, "written via passed stdout\n");
    close(newfd);
    close(newout);

    /* Explicit SCM_CREDENTIALS from the sender. */
    struct ucred me = {getpid(), getuid(), getgid()};
    union { char buf[CMSG_SPACE(sizeof me)]; struct cmsghdr align; } cc;
    memset(&cc, 0, sizeof cc);
    struct msghdr ch = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cc.buf,
                        .msg_controllen = sizeof cc.buf};
    c = CMSG_FIRSTHDR(&ch);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_CREDENTIALS;
    c->cmsg_len = CMSG_LEN(sizeof me);
    memcpy(CMSG_DATA(c), &me, sizeof me);
    CHECK(sendmsg(sv[0], &ch, 0));
    rh.msg_controllen = sizeof rctl.buf;
    n = recvmsg(sv[1], &rh, 0);
    struct cmsghdr *m = CMSG_FIRSTHDR(&rh);
    struct ucred u = {0};
    if (m) memcpy(&u, CMSG_DATA(m), sizeof u);
    printf("explicit creds n=%d type_ok=%d pid_ok=%d\n", (int)n,
           m && m->cmsg_type == SCM_CREDENTIALS, u.pid == getpid());

    /* Control buffer too small for the descriptors: MSG_CTRUNC, none leak in. */
    int before = count_fds();
    memcpy(CMSG_DATA(CMSG_FIRSTHDR(&mh)), two, sizeof two);
    fd = open(path, O_RDONLY);
    two[0] = fd;
    memcpy(CMSG_DATA(CMSG_FIRSTHDR(&mh)), two, sizeof two);
    CHECK(sendmsg(sv[0], &mh, 0));
    close(fd);
    int zero = 0;
    CHECK(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &zero, sizeof zero));
    union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } tiny;
    rh.msg_control = tiny.buf;
    rh.msg_controllen = CMSG_LEN(sizeof(int));
    n = recvmsg(sv[1], &rh, 0);
    m = CMSG_FIRSTHDR(&rh);
    if (m) { int f; memcpy(&f, CMSG_DATA(m), sizeof f); close(f); }
    printf("ctrunc n=%d ctrunc=%d fds=%d no_leak=%d\n", (int)n, (rh.msg_flags & MSG_CTRUNC) != 0,
           m ? (int)((m->cmsg_len - CMSG_LEN(0)) / sizeof(int)) : 0, count_fds() == before);
    close(sv[0]);
    close(sv[1]);
}

static void unix_names(const char *path) {
    char sock[108];
    snprintf(sock, sizeof sock, "%s.sock", path);
    unlink(sock);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    strcpy(a.sun_path, sock);
    socklen_t alen = offsetof(struct sockaddr_un, sun_path) + strlen(sock) + 1;
    CHECK(bind(s, (struct sockaddr *)&a, alen));
    CHECK(listen(s, 1));
    struct stat st;
    printf("unix path socket exists=%d\n", stat(sock, &st) == 0 && S_ISSOCK(st.st_mode));
    struct sockaddr_un got;
    socklen_t glen = sizeof got;
    CHECK(getsockname(s, (struct sockaddr *)&got, &glen));
    printf("unix getsockname same=%d\n", glen == alen && strcmp(got.sun_path, sock) == 0);
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(connect(c, (struct sockaddr *)&a, alen));
    int conn = accept(s, NULL, NULL);
    CHECK(conn);
    CHECK(write(c, "via path", 8));
    char buf[16];
    ssize_t n = read(conn, buf, sizeof buf);
    printf("unix path read: %.*s\n", (int)n, buf);
    struct ucred cr;
    socklen_t crl = sizeof cr;
    CHECK(getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cr, &crl));
    printf("peercred pid_ok=%d len=%u\n", cr.pid == getpid(), (unsigned)crl);
    close(conn); close(c); close(s);
    unlink(sock);

    /* Abstract name: leading NUL, no file. */
    s = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sockaddr_un ab = {.sun_family = AF_UNIX};
    char name[64];
    int nl = snprintf(name, sizeof name, "pytrans-test-%d", getpid());
    memcpy(ab.sun_path + 1, name, nl);
    socklen_t ablen = offsetof(struct sockaddr_un, sun_path) + 1 + nl;
    CHECK(bind(s, (struct sockaddr *)&ab, ablen));
    glen = sizeof got;
    CHECK(getsockname(s, (struct sockaddr *)&got, &glen));
    printf("abstract getsockname same=%d\n", glen == ablen && memcmp(&got, &ab, ablen) == 0);
    c = socket(AF_UNIX, SOCK_DGRAM, 0);
    CHECK(sendto(c, "abs", 3, 0, (struct sockaddr *)&ab, ablen));
    n = recv(s, buf, sizeof buf, 0);
    printf("abstract recv: %.*s\n", (int)n, buf);
    close(c); close(s);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    const char *path = argc > 1 ? argv[1] : "net_sock.tmp";
    if (argc > 2 && strcmp(argv[2], "sigpipe") == 0) {
        /* A stream whose peer is gone: EPIPE with MSG_NOSIGNAL, SIGPIPE without. */
        int sv[2];
        CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
        close(sv[1]);
        int r = send(sv[0], "x", 1, MSG_NOSIGNAL);
        printf("nosignal r=%d epipe=%d\n", r, errno == EPIPE);
        send(sv[0], "x", 1, 0);
        printf("survived SIGPIPE\n");
        return 0;
    }
    tcp(AF_INET);
    if (argc > 2 && strcmp(argv[2], "v6") == 0)
        tcp(AF_INET6);
    options();
    udp();
    unix_fds(path);
    unix_names(path);
    unlink(path);
    recvmmsg_timeout();
    timestamps();
    /* Bad input: errors the kernel gives. */
    printf("bad fd socket op r=%d ebadf=%d\n", connect(999, NULL, 0), errno == EBADF);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    printf("bad addrlen r=%d einval=%d\n", bind(s, (struct sockaddr *)"x", 1), errno == EINVAL);
    printf("bad address r=%d efault=%d\n", bind(s, (struct sockaddr *)16, 16), errno == EFAULT);
    printf("bad family r=%d eafnosupport=%d\n", socket(12345, SOCK_STREAM, 0), errno == EAFNOSUPPORT);
    {   /* A generous addrlen: the kernel writes only the address (here at the very end of a
         * mapping, with 4096 bytes claimed), so this is no EFAULT. */
        char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        int u = socket(AF_INET, SOCK_DGRAM, 0);
        struct sockaddr_in lo = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        bind(u, (struct sockaddr *)&lo, sizeof lo);
        socklen_t big = 4096;
        int r = getsockname(u, (struct sockaddr *)(page + 4096 - 128), &big);
        printf("generous addrlen r=%d len=%u\n", r, (unsigned)big);
        close(u);
    }
    printf("not a socket r=%d enotsock=%d\n", listen(0, 1), errno == ENOTSOCK);
    int sv[2];
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    char c = 'c';
    struct iovec iov = {&c, 1};
    struct msghdr huge = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = &c,
                          .msg_controllen = 0x7fffffff};
    printf("huge control r=%d enobufs=%d\n", (int)sendmsg(sv[0], &huge, 0), errno == ENOBUFS);
    struct msghdr many = {.msg_iov = &iov, .msg_iovlen = 5000};
    printf("too many iovecs r=%d emsgsize=%d\n", (int)sendmsg(sv[0], &many, 0), errno == EMSGSIZE);
    send(sv[0], "y", 1, 0);
    char big[64];
    struct msghdr room = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = big,
                          .msg_controllen = 0x7fffffff};
    printf("recv with huge control room r=%d controllen=%d\n", (int)recvmsg(sv[1], &room, 0),
           (int)room.msg_controllen);
    union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } bad;
    memset(&bad, 0, sizeof bad);
    struct msghdr bh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = bad.buf,
                        .msg_controllen = sizeof bad.buf};
    struct cmsghdr *bc = CMSG_FIRSTHDR(&bh);
    bc->cmsg_level = SOL_SOCKET;
    bc->cmsg_type = SCM_RIGHTS;
    bc->cmsg_len = CMSG_LEN(sizeof(int));
    int nofd = 999;
    memcpy(CMSG_DATA(bc), &nofd, sizeof nofd);
    printf("SCM_RIGHTS bad fd r=%d ebadf=%d\n", (int)sendmsg(sv[0], &bh, 0), errno == EBADF);
    bc->cmsg_len = 5;
    printf("short cmsg_len r=%d einval=%d\n", (int)sendmsg(sv[0], &bh, 0), errno == EINVAL);
    return 0;
}
