/* syscalls: N small system calls, cycling through four kinds: write 64 bytes into a pipe,
 * read them back from the pipe, write 64 bytes to /dev/null, read 64 bytes from /dev/zero.
 * Measures the emulator's syscall round trip plus a little data copying. The data read back
 * is folded into the checksum, so lost or corrupted bytes show. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK 64

int main(int argc, char **argv) {
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 10000;
    int pfd[2];
    if (pipe(pfd) != 0) {
        perror("pipe");
        return 1;
    }
    int null_fd = open("/dev/null", O_WRONLY);
    int zero_fd = open("/dev/zero", O_RDONLY);
    if (null_fd < 0 || zero_fd < 0) {
        perror("open");
        return 1;
    }
    unsigned char out[CHUNK], in[CHUNK];
    uint64_t sum = 0;
    uint32_t errors = 0;
    for (long i = 0; i < n; i++) {
        ssize_t got;
        switch (i & 3) {
        case 0:
            for (int k = 0; k < CHUNK; k++)
                out[k] = (unsigned char)(i * 7 + k);
            got = write(pfd[1], out, CHUNK);
            break;
        case 1:
            got = read(pfd[0], in, CHUNK);
            for (int k = 0; k < CHUNK; k++)
                sum = sum * 31 + in[k];
            break;
        case 2:
            got = write(null_fd, out, CHUNK);
            break;
        default:
            memset(in, 0xff, CHUNK);
            got = read(zero_fd, in, CHUNK);
            for (int k = 0; k < CHUNK; k++)
                sum += in[k];
            break;
        }
        if (got != CHUNK)
            errors++;
    }
    close(pfd[0]); close(pfd[1]); close(null_fd); close(zero_fd);
    printf("checksum %016llx-%u\n", (unsigned long long)sum, (unsigned)errors);
    return errors != 0;
}
