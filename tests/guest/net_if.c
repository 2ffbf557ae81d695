/* Interface queries: struct ifreq ioctls on the loopback device, SIOCGIFCONF (an array of
 * ifreq whose size differs between ARM and x86-64), and the netlink-based getifaddrs and
 * if_nameindex. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void) {
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "lo");
    int r = ioctl(s, SIOCGIFINDEX, &ifr);
    int index = ifr.ifr_ifindex;
    printf("SIOCGIFINDEX r=%d index>0=%d\n", r, index > 0);
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_ifindex = index;
    r = ioctl(s, SIOCGIFNAME, &ifr);
    printf("SIOCGIFNAME r=%d name=%s\n", r, ifr.ifr_name);
    r = ioctl(s, SIOCGIFFLAGS, &ifr);
    printf("SIOCGIFFLAGS r=%d up=%d loopback=%d\n", r, (ifr.ifr_flags & IFF_UP) != 0,
           (ifr.ifr_flags & IFF_LOOPBACK) != 0);
    r = ioctl(s, SIOCGIFADDR, &ifr);
    struct sockaddr_in *a = (struct sockaddr_in *)&ifr.ifr_addr;
    printf("SIOCGIFADDR r=%d addr=%s\n", r, inet_ntoa(a->sin_addr));
    r = ioctl(s, SIOCGIFNETMASK, &ifr);
    printf("SIOCGIFNETMASK r=%d mask=%s\n", r, inet_ntoa(a->sin_addr));
    r = ioctl(s, SIOCGIFMTU, &ifr);
    printf("SIOCGIFMTU r=%d mtu>0=%d\n", r, ifr.ifr_mtu > 0);
    strcpy(ifr.ifr_name, "no-such-if0");
    r = ioctl(s, SIOCGIFFLAGS, &ifr);
    printf("unknown interface r=%d\n", r);

    struct ifconf ifc = {.ifc_len = 0, .ifc_buf = NULL};
    r = ioctl(s, SIOCGIFCONF, &ifc);
    int need = ifc.ifc_len;
    printf("SIOCGIFCONF size query r=%d multiple_of_ifreq=%d\n", r,
           need > 0 && need % (int)sizeof(struct ifreq) == 0);
    struct ifreq reqs[64];
    ifc.ifc_len = sizeof reqs;
    ifc.ifc_req = reqs;
    r = ioctl(s, SIOCGIFCONF, &ifc);
    int found = 0;
    for (int i = 0; i < ifc.ifc_len / (int)sizeof(struct ifreq); i++) {
        struct sockaddr_in *in = (struct sockaddr_in *)&reqs[i].ifr_addr;
        if (strcmp(reqs[i].ifr_name, "lo") == 0 && in->sin_addr.s_addr == htonl(INADDR_LOOPBACK))
            found = 1;
    }
    printf("SIOCGIFCONF r=%d len_matches=%d lo_listed=%d\n", r, ifc.ifc_len == need, found);

    struct ifaddrs *ifa, *p;
    int lo4 = 0;
    if (getifaddrs(&ifa) == 0) {
        for (p = ifa; p; p = p->ifa_next)
            if (p->ifa_addr && p->ifa_addr->sa_family == AF_INET && strcmp(p->ifa_name, "lo") == 0)
                lo4 = ((struct sockaddr_in *)p->ifa_addr)->sin_addr.s_addr == htonl(INADDR_LOOPBACK);
        freeifaddrs(ifa);
    }
    printf("getifaddrs lo 127.0.0.1=%d\n", lo4);
    struct if_nameindex *ni = if_nameindex();
    int lo_idx = 0;
    for (struct if_nameindex *q = ni; q && q->if_index; q++)
        if (strcmp(q->if_name, "lo") == 0)
            lo_idx = q->if_index == (unsigned)index;
    if_freenameindex(ni);
    printf("if_nameindex lo=%d if_nametoindex=%d\n", lo_idx, if_nametoindex("lo") == (unsigned)index);
    close(s);
    return 0;
}
