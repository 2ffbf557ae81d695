/* compute: integer arithmetic and libc string routines -- 64-bit
 * multiply/divide (library calls on ARM32), shifts, bit tricks, overflow
 * wrap-around, qsort, setjmp/longjmp, CRC32, a sieve, recursion and
 * memcpy/memmove/strlen/memcmp at every alignment. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <setjmp.h>

static volatile uint64_t sink;

__attribute__((noinline)) static uint64_t mix(uint64_t x)
{
    x ^= x >> 33; x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33; x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

__attribute__((noinline)) static int fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static uint32_t crc_table[256];
static uint32_t crc32(const unsigned char *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    while (n--) c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static jmp_buf jb;
__attribute__((noinline)) static void jump_deep(int depth)
{
    if (depth == 0) longjmp(jb, 42);
    jump_deep(depth - 1);
    sink++;
}

typedef int (*binop)(int, int);
static int op_add(int a, int b) { return a + b; }
static int op_sub(int a, int b) { return a - b; }
static int op_mul(int a, int b) { return a * b; }
static int op_xor(int a, int b) { return a ^ b; }

__attribute__((noinline)) static const char *classify(int k)
{
    switch (k) {   /* dense switch: a jump table */
    case 0: return "zero"; case 1: return "one"; case 2: return "two"; case 3: return "three";
    case 4: return "four"; case 5: return "five"; case 6: return "six"; case 7: return "seven";
    default: return "many";
    }
}

int main(void)
{
    volatile int64_t a = -1234567890123LL, b = 98765;
    volatile uint64_t ua = 0xfedcba9876543210ULL, ub = 0x12345ULL;
    printf("s64: %lld %lld %lld %lld\n", (long long)(a * b), (long long)(a / b), (long long)(a % b),
           (long long)(-a / -b));
    printf("u64: %llu %llu %llx\n", (unsigned long long)(ua / ub), (unsigned long long)(ua % ub),
           (unsigned long long)(ua * ub));
    volatile int32_t c = -2000000000, d = 7;
    volatile uint32_t uc = 4000000000u, ud = 3;
    printf("s32: %d %d %d  u32: %u %u\n", c / d, c % d, (int)((uint32_t)c * 3u), uc / ud, uc % ud);
    printf("INT_MIN/-1 guarded: %d\n", d == -1 ? 0 : (int)(-2147483647 - 1) / d);
    printf("32x32->64: %lld %llu\n", (long long)c * (long long)c, (unsigned long long)uc * uc);

    volatile int sh = 5, sh31 = 31, sh63 = 63, sh0 = 0;
    volatile int32_t neg = -100;
    volatile uint64_t one = 1;
    printf("shifts: %d %d %u %d %llu %llu %llu\n", neg >> sh, neg << sh, (uint32_t)neg >> sh31,
           neg >> sh0, (unsigned long long)(one << sh63), (unsigned long long)(ua >> sh63),
           (unsigned long long)(ua >> 40));
    printf("signed 64 shift: %lld\n", (long long)a >> 20);

    volatile uint32_t v = 0x00f0a000u;
    volatile uint64_t v64 = 0x0000100000000000ULL;
    printf("clz %d ctz %d popcount %d parity %d  clzll %d ctzll %d popcountll %d\n",
           __builtin_clz(v), __builtin_ctz(v), __builtin_popcount(v), __builtin_parity(v),
           __builtin_clzll(v64), __builtin_ctzll(v64), __builtin_popcountll(ua));
    printf("bswap32 %08x bswap64 %016llx\n", __builtin_bswap32(0x11223344u),
           (unsigned long long)__builtin_bswap64(ua));
    uint32_t rot = v;
    rot = (rot << 13) | (rot >> 19);
    printf("rotl13 %08x\n", rot);
    volatile uint32_t big = 0xffffffffu;
    volatile int32_t imax = 2147483647;
    printf("wrap: %u %d\n", big + 1u, (int32_t)((uint32_t)imax + 1u));
    int32_t ovf;
    printf("overflow detect: %d\n", __builtin_add_overflow((int32_t)imax, 1, &ovf));
    volatile int8_t s8 = -5; volatile uint8_t u8 = 250; volatile int16_t s16 = -30000;
    printf("narrow: %d %d %d %u %d\n", s8, (int8_t)(u8 + 10), (int16_t)(s16 - 10000), (uint8_t)s8,
           (int)(u8 * u8));

    uint64_t h = 0;
    for (int i = 0; i < 10000; i++) h += mix((uint64_t)i);
    printf("mix sum %016llx\n", (unsigned long long)h);

    printf("fib(20) = %d\n", fib(20));

    for (uint32_t i = 0; i < 256; i++) {
        uint32_t cc = i;
        for (int k = 0; k < 8; k++) cc = (cc & 1) ? 0xedb88320u ^ (cc >> 1) : cc >> 1;
        crc_table[i] = cc;
    }
    static unsigned char data[65536];
    for (unsigned i = 0; i < sizeof data; i++) data[i] = (unsigned char)(mix(i) >> 56);
    printf("crc32(\"123456789\") = %08x  crc32(64k) = %08x\n",
           crc32((const unsigned char *)"123456789", 9), crc32(data, sizeof data));

    enum { LIMIT = 100000 };
    static unsigned char composite[LIMIT + 1];
    int primes = 0, last = 0;
    for (int i = 2; i <= LIMIT; i++) {
        if (composite[i]) continue;
        primes++; last = i;
        for (int j = i * 2; j <= LIMIT; j += i) composite[j] = 1;
    }
    printf("primes <= %d: %d, largest %d\n", LIMIT, primes, last);

    int arr[2000];
    uint32_t seed = 12345;
    for (int i = 0; i < 2000; i++) { seed = seed * 1664525u + 1013904223u; arr[i] = (int)(seed >> 8) - (1 << 23); }
    qsort(arr, 2000, sizeof arr[0], cmp_int);
    int sorted = 1;
    for (int i = 1; i < 2000; i++) if (arr[i - 1] > arr[i]) sorted = 0;
    printf("qsort: sorted=%d min=%d median=%d max=%d\n", sorted, arr[0], arr[1000], arr[1999]);
    int key = arr[777];
    int *found = bsearch(&key, arr, 2000, sizeof arr[0], cmp_int);
    printf("bsearch found: %d\n", found && *found == key);

    int jr = setjmp(jb);
    if (jr == 0) { jump_deep(50); printf("longjmp did not happen\n"); }
    else printf("setjmp returned %d after longjmp\n", jr);

    binop ops[] = { op_add, op_sub, op_mul, op_xor };
    int acc = 7;
    for (int i = 0; i < 40; i++) acc = ops[i % 4](acc, i + 3);
    printf("function pointers: %d\n", acc);
    printf("switch:");
    for (volatile int k = 0; k < 10; k++) printf(" %s", classify(k));
    printf("\n");

    /* string routines at all alignments */
    static char src[300], dst[300];
    for (int i = 0; i < 300; i++) src[i] = (char)('a' + i % 26);
    unsigned errors = 0, lensum = 0;
    for (int off = 0; off < 8; off++) {
        for (int len = 0; len < 70; len++) {
            memset(dst, 0, sizeof dst);
            memcpy(dst + off, src + (7 - off), len);
            if (memcmp(dst + off, src + (7 - off), len) != 0) errors++;
            dst[off + len] = 0;
            lensum += strlen(dst + off);
        }
    }
    memcpy(dst, src, 100);
    memmove(dst + 3, dst, 50);     /* overlapping forwards */
    memmove(dst + 60, dst + 61, 30); /* overlapping backwards */
    dst[100] = 0;
    printf("mem errors %u lensum %u memmove [%.40s]\n", errors, lensum, dst);
    char s1[] = "hello world", s2[] = "hello there";
    printf("strcmp %d strncmp %d memcmp<0 %d strchr %s strrchr %s strstr %s\n",
           strcmp(s1, s2) > 0, strncmp(s1, s2, 5), memcmp(s1, s2, 11) < 0, strchr(s1, 'o'),
           strrchr(s1, 'o'), strstr(s2, "the"));
    char tok[] = "a,bb,,ccc,dddd";
    printf("strtok:");
    for (char *t = strtok(tok, ","); t; t = strtok(NULL, ",")) printf(" [%s]", t);
    printf("\n");
    printf("strtol %ld %ld %lu atoi %d\n", strtol("-0x1f", NULL, 16), strtol("0777", NULL, 0),
           strtoul("4294967295", NULL, 10), atoi("  -42abc"));
    return 0;
}
