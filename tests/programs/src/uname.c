/* uname: sysname and which architecture family the machine string names. */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

int main(void)
{
    struct utsname u;
    int r = uname(&u);
    printf("uname: %d\n", r);
    printf("sysname: %s\n", u.sysname);
#if defined(__aarch64__)
    printf("built for: aarch64\n");
#elif defined(__thumb__)
    printf("built for: arm (thumb)\n");
#else
    printf("built for: arm\n");
#endif
    printf("machine starts with arm: %d\n", strncmp(u.machine, "arm", 3) == 0);
    printf("machine starts with aarch64: %d\n", strncmp(u.machine, "aarch64", 7) == 0);
    printf("release non-empty: %d, nodename non-empty: %d\n", u.release[0] != 0, u.nodename[0] != 0);
    return 0;
}
