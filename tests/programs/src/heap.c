#define _GNU_SOURCE
/* heap: malloc/calloc/realloc/free of many sizes, including blocks above
 * 1 MiB that malloc serves with mmap; every block is filled with a
 * pattern and checksummed so lost or corrupted memory shows up. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

static size_t step_for(size_t n) { return n > 65536 ? 64 : 1; }

static uint32_t fill(unsigned char *p, size_t n, uint32_t seed)
{
    /* touch every byte of small blocks, one byte in 64 of big ones, and the last byte */
    for (size_t i = 0; i < n; i += step_for(n))
        p[i] = (unsigned char)(seed + i * 13);
    p[n - 1] = 0x5a;
    uint32_t h = seed;
    for (size_t i = 0; i < n; i += step_for(n))
        h = h * 16777619u ^ p[i];
    return h ^ (uint32_t)n;
}

/* 1 if the pattern written by fill() is intact */
static int check(const unsigned char *p, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n - 1; i += step_for(n))
        if (p[i] != (unsigned char)(seed + i * 13)) return 0;
    return p[n - 1] == 0x5a;
}

int main(void)
{
    static const size_t sizes[] = {
        1, 2, 3, 7, 8, 15, 16, 17, 24, 31, 32, 33, 63, 64, 100, 127, 128, 255, 256,
        500, 1000, 1024, 4095, 4096, 4097, 10000, 65536, 100000, 131072, 200000,
        1 << 20, (1 << 20) + 1, 3 << 20, 8 << 20,
    };
    enum { N = sizeof sizes / sizeof sizes[0] };
    unsigned char *blocks[N];
    uint32_t sums[N];
    int aligned = 1;

    for (int i = 0; i < N; i++) {
        blocks[i] = malloc(sizes[i]);
        if (!blocks[i]) { printf("malloc(%zu) failed\n", sizes[i]); return 1; }
        if (((uintptr_t)blocks[i] & (2 * sizeof(void *) - 1)) != 0) aligned = 0;
        sums[i] = fill(blocks[i], sizes[i], (uint32_t)i);
    }
    printf("malloc aligned to 2*sizeof(void*): %d\n", aligned);
    /* free every other block, then allocate again in the holes */
    for (int i = 0; i < N; i += 2) { free(blocks[i]); blocks[i] = NULL; }
    for (int i = 0; i < N; i += 2) {
        blocks[i] = malloc(sizes[i]);
        sums[i] = fill(blocks[i], sizes[i], (uint32_t)(i + 100));
    }
    int ok = 1;
    for (int i = 0; i < N; i++) {
        if (!check(blocks[i], sizes[i], (uint32_t)(i % 2 ? i : i + 100))) { printf("block %d (size %zu) corrupted\n", i, sizes[i]); ok = 0; }
    }
    printf("all %d blocks intact: %d\n", N, ok);
    uint32_t total = 0;
    for (int i = 0; i < N; i++) total = total * 31u + sums[i];
    printf("checksum: %08x\n", total);
    for (int i = 0; i < N; i++) free(blocks[i]);

    /* calloc must return zeroed memory, also when recycling dirty memory */
    unsigned char *dirty = malloc(50000);
    memset(dirty, 0xab, 50000);
    free(dirty);
    int zero = 1;
    for (int round = 0; round < 3; round++) {
        size_t n = round == 2 ? (2u << 20) : 50000;
        unsigned char *c = calloc(n / 4, 4);
        for (size_t i = 0; i < n; i += (n > 65536 ? 512 : 1))
            if (c[i]) { zero = 0; break; }
        memset(c, 0xcd, n);
        free(c);
    }
    printf("calloc zeroed: %d\n", zero);

    /* realloc keeps contents while growing and shrinking (crosses the mmap threshold) */
    size_t sz = 16;
    unsigned char *r = malloc(sz);
    for (size_t i = 0; i < sz; i++) r[i] = (unsigned char)i;
    int kept = 1;
    size_t steps[] = { 100, 5000, 70000, 600000, 3000000, 40, 200000 };
    for (unsigned k = 0; k < sizeof steps / sizeof steps[0]; k++) {
        size_t ns = steps[k];
        r = realloc(r, ns);
        if (!r) { printf("realloc failed\n"); return 1; }
        size_t keep = sz < ns ? sz : ns;
        for (size_t i = 0; i < keep; i++)
            if (r[i] != (unsigned char)i) { kept = 0; break; }
        for (size_t i = keep; i < ns; i++) r[i] = (unsigned char)i;
        sz = ns;
    }
    printf("realloc preserved contents: %d\n", kept);
    free(r);

    /* lots of small allocations (a linked list) */
    struct node { struct node *next; int v; char pad[20]; };
    struct node *head = NULL;
    for (int i = 0; i < 20000; i++) {
        struct node *n = malloc(sizeof *n);
        n->v = i; n->next = head; head = n;
    }
    long long lsum = 0; int count = 0;
    while (head) { struct node *n = head->next; lsum += head->v; count++; free(head); head = n; }
    printf("list: %d nodes sum %lld\n", count, lsum);

    /* direct mmap/munmap/mprotect */
    long pg = sysconf(_SC_PAGESIZE);
    unsigned char *m = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("mmap: %s\n", m == MAP_FAILED ? "failed" : "ok");
    int mz = 1;
    for (long i = 0; i < 4 * pg; i += 97) if (m[i]) mz = 0;
    m[0] = 1; m[4 * pg - 1] = 2;
    printf("mmap zeroed %d, rw %d\n", mz, m[0] + m[4 * pg - 1]);
    printf("mprotect: %d\n", mprotect(m, pg, PROT_READ));
    printf("munmap tail: %d\n", munmap(m + 2 * pg, 2 * pg));
    printf("munmap rest: %d\n", munmap(m, 2 * pg));
    /* mremap a fresh (single-VMA) mapping: grow with MREMAP_MAYMOVE */
    m = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    m[0] = 1; m[2 * pg - 1] = 4;
    m = mremap(m, 2 * pg, 8 * pg, MREMAP_MAYMOVE);
    printf("mremap: %s, data kept %d\n", m == MAP_FAILED ? "failed" : "ok",
           m != MAP_FAILED && m[0] == 1 && m[2 * pg - 1] == 4);
    if (m != MAP_FAILED) {
        m[8 * pg - 1] = 3;
        printf("new part zeroed: %d\n", m[2 * pg] == 0 && m[5 * pg] == 0);
        printf("munmap: %d\n", munmap(m, 8 * pg));
    }
    printf("done\n");
    return 0;
}
