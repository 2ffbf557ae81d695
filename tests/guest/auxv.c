/* Prints the auxiliary vector entries a program can see through getauxval(). */
#include <stdio.h>
#include <sys/auxv.h>
#include <unistd.h>
#include <link.h>
extern char **environ;
int main(int argc, char **argv) {
    printf("AT_PAGESZ=%lu\n", getauxval(AT_PAGESZ));
    printf("AT_HWCAP=%#lx\n", getauxval(AT_HWCAP));
    printf("AT_HWCAP2=%#lx\n", getauxval(AT_HWCAP2));
    printf("AT_PLATFORM=%s\n", (char *)getauxval(AT_PLATFORM));
    printf("AT_EXECFN=%s\n", (char *)getauxval(AT_EXECFN));
    printf("AT_SECURE=%lu\n", getauxval(AT_SECURE));
    printf("AT_UID=%d\n", getauxval(AT_UID) == getuid());
    printf("AT_EUID=%d\n", getauxval(AT_EUID) == geteuid());
    printf("AT_GID=%d\n", getauxval(AT_GID) == getgid());
    printf("AT_EGID=%d\n", getauxval(AT_EGID) == getegid());
    printf("AT_CLKTCK=%lu\n", getauxval(AT_CLKTCK));
    printf("AT_BASE=%#lx\n", getauxval(AT_BASE));
    unsigned char *r = (unsigned char *)getauxval(AT_RANDOM);
    int nz = 0;
    for (int i = 0; i < 16; i++) nz |= r[i];
    printf("AT_RANDOM=%d\n", r != 0 && nz != 0);
    extern char _start[];
    printf("AT_ENTRY=%d\n", getauxval(AT_ENTRY) == (unsigned long)_start);
    ElfW(Phdr) *ph = (ElfW(Phdr) *)getauxval(AT_PHDR);
    printf("AT_PHDR=%d AT_PHENT=%lu AT_PHNUM>0=%d\n", ph != 0 && ph[0].p_type != 0,
           getauxval(AT_PHENT), getauxval(AT_PHNUM) > 0);
    printf("stack-aligned=%d\n", ((unsigned long)argv & (sizeof(void *) - 1)) == 0);
    return 0;
}
