/* hashtable: open-addressing hash table (linear probing, tombstones, power-of-two capacity,
 * multiplicative hashing) of uint32 -> uint32. N inserts, N lookups (about half misses),
 * N/2 deletes, N lookups again, then N/2 re-inserts that reuse tombstones.
 * Random memory access and unpredictable branches. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum { EMPTY = 0, FULL = 1, DELETED = 2 };

struct table {
    uint32_t *keys, *vals;
    uint8_t *state;
    uint32_t mask;
    uint32_t count;
};

static uint32_t hash32(uint32_t k) {
    k ^= k >> 16;
    k *= 0x7feb352du;
    k ^= k >> 15;
    k *= 0x846ca68bu;
    k ^= k >> 16;
    return k;
}

/* Returns the slot holding key, or UINT32_MAX. */
static uint32_t find(const struct table *t, uint32_t key) {
    uint32_t i = hash32(key) & t->mask;
    for (;;) {
        uint8_t s = t->state[i];
        if (s == EMPTY)
            return UINT32_MAX;
        if (s == FULL && t->keys[i] == key)
            return i;
        i = (i + 1) & t->mask;
    }
}

static void insert(struct table *t, uint32_t key, uint32_t val) {
    uint32_t i = hash32(key) & t->mask, tomb = UINT32_MAX;
    for (;;) {
        uint8_t s = t->state[i];
        if (s == EMPTY)
            break;
        if (s == DELETED) {
            if (tomb == UINT32_MAX)
                tomb = i;
        } else if (t->keys[i] == key) {
            t->vals[i] = val;
            return;
        }
        i = (i + 1) & t->mask;
    }
    if (tomb != UINT32_MAX)
        i = tomb;
    t->state[i] = FULL;
    t->keys[i] = key;
    t->vals[i] = val;
    t->count++;
}

static int erase(struct table *t, uint32_t key) {
    uint32_t i = find(t, key);
    if (i == UINT32_MAX)
        return 0;
    t->state[i] = DELETED;
    t->count--;
    return 1;
}

static uint32_t rng = 88172645u;
static uint32_t next(void) {
    rng ^= rng << 13; rng ^= rng >> 17; rng ^= rng << 5;
    return rng;
}

int main(int argc, char **argv) {
    long nn = argc > 1 ? strtol(argv[1], NULL, 10) : 50000;
    uint32_t n = nn < 2 ? 2 : (uint32_t)nn;
    uint32_t cap = 16;
    while (cap < 2 * n)  /* load factor <= 0.5 (+ tombstones) */
        cap <<= 1;
    struct table t = {malloc(cap * 4u), malloc(cap * 4u), calloc(cap, 1), cap - 1, 0};
    uint32_t *inserted = malloc(n * 4u);
    if (!t.keys || !t.vals || !t.state || !inserted) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    uint64_t sum = 0;
    /* keys drawn from a range of 4n, so random probes hit about a quarter of the time and
     * some inserts are updates of an existing key */
    for (uint32_t i = 0; i < n; i++) {
        uint32_t k = next() % (4 * n) + 1;
        inserted[i] = k;
        insert(&t, k, i * 2654435761u);
    }
    sum += t.count;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t k = i & 1 ? inserted[next() % n] : next() % (4 * n) + 1;
        uint32_t s = find(&t, k);
        sum = sum * 3 + (s == UINT32_MAX ? 7 : t.vals[s]);
    }
    for (uint32_t i = 0; i < n / 2; i++)
        sum += erase(&t, inserted[next() % n]);
    sum += (uint64_t)t.count << 32;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t s = find(&t, inserted[i]);
        sum = sum * 5 + (s == UINT32_MAX ? 11 : t.vals[s]);
    }
    for (uint32_t i = 0; i < n / 2; i++)
        insert(&t, next() % (4 * n) + 1, i);
    sum += t.count;
    printf("checksum %016llx\n", (unsigned long long)sum);
    free(t.keys); free(t.vals); free(t.state); free(inserted);
    return 0;
}
