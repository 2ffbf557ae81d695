/* File-backed mmap (private and shared), statfs, sysinfo: argv[1] is a scratch directory. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysinfo.h>
#include <unistd.h>
int main(int argc, char **argv) {
    char path[512];
    snprintf(path, sizeof path, "%s/data.bin", argv[1]);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    const char msg[] = "0123456789abcdef";
    for (int i = 0; i < 1000; i++) write(fd, msg, 16);          /* 16000 bytes: 4 pages */
    char *p = mmap(0, 16000, PROT_READ, MAP_PRIVATE, fd, 0);
    printf("private read: %.16s %.4s\n", p + 4096 * 3, p + 15996);
    char *s = mmap(0, 16000, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 4096);
    memcpy(s, "SHARED", 6);
    msync(s, 4096, MS_SYNC);
    char back[8] = {0};
    pread(fd, back, 6, 4096);
    printf("shared write reached the file: %s\n", back);
    printf("private copy sees it too: %.6s\n", p + 4096);
    munmap(p, 16000);
    munmap(s, 16000);
    char *q = mmap(0, 4096, PROT_READ, MAP_PRIVATE, fd, 1);   /* unaligned offset */
    printf("unaligned offset fails: %d\n", q == MAP_FAILED);
    int ro = open(path, O_RDONLY);
    q = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0);
    printf("shared writable map of read-only fd fails: %d\n", q == MAP_FAILED);
    q = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0);
    q[0] = 'X';
    printf("private writable map of read-only fd: %c\n", q[0]);
    struct statfs sf;
    printf("statfs ok: %d bsize>0: %d\n", statfs(argv[1], &sf) == 0, sf.f_bsize > 0);
    struct sysinfo si;
    printf("sysinfo ok: %d totalram>0: %d\n", sysinfo(&si) == 0, si.totalram > 0);
    close(fd);
    close(ro);
    return 0;
}
