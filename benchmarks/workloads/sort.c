/* sort: N pseudo-random signed 32-bit ints sorted twice -- with libc qsort() (indirect calls
 * to a comparison function) and with a hand-written top-down merge sort (data-dependent
 * branches, sequential memory traffic) -- then checked against each other. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_int(const void *pa, const void *pb) {
    int32_t a = *(const int32_t *)pa, b = *(const int32_t *)pb;
    return (a > b) - (a < b);
}

static void merge_sort(int32_t *a, int32_t *tmp, size_t n) {
    if (n < 2)
        return;
    if (n <= 16) {  /* insertion sort for small runs */
        for (size_t i = 1; i < n; i++) {
            int32_t v = a[i];
            size_t j = i;
            while (j > 0 && a[j - 1] > v) {
                a[j] = a[j - 1];
                j--;
            }
            a[j] = v;
        }
        return;
    }
    size_t mid = n / 2;
    merge_sort(a, tmp, mid);
    merge_sort(a + mid, tmp, n - mid);
    size_t i = 0, j = mid, k = 0;
    while (i < mid && j < n)
        tmp[k++] = a[j] < a[i] ? a[j++] : a[i++];
    while (i < mid)
        tmp[k++] = a[i++];
    while (j < n)
        tmp[k++] = a[j++];
    memcpy(a, tmp, n * sizeof *a);
}

int main(int argc, char **argv) {
    long nn = argc > 1 ? strtol(argv[1], NULL, 10) : 50000;
    size_t n = nn < 1 ? 1 : (size_t)nn;
    int32_t *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b), *tmp = malloc(n * sizeof *tmp);
    if (!a || !b || !tmp) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        /* a narrow-ish range so there are duplicates, and both signs */
        a[i] = (int32_t)(x % 2000003u) - 1000000;
    }
    memcpy(b, a, n * sizeof *a);
    qsort(a, n, sizeof *a, cmp_int);
    merge_sort(b, tmp, n);
    if (memcmp(a, b, n * sizeof *a) != 0) {
        printf("checksum MISMATCH\n");
        return 1;
    }
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && a[i - 1] > a[i]) {
            printf("checksum UNSORTED\n");
            return 1;
        }
        sum = sum * 31 + (uint32_t)a[i];
    }
    printf("checksum %016llx\n", (unsigned long long)sum);
    free(a); free(b); free(tmp);
    return 0;
}
