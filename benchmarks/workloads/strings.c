/* strings: libc string routines and byte-wise string code. Each of N rounds builds a ~2 KiB
 * sentence from a word list (memcpy/strcpy), measures it (strlen), counts words with a
 * hand-written scanner, counts substrings (strstr, strchr), tokenizes a copy (strtok_r),
 * looks every token up in the word list (strcmp), reverses tokens and the whole text in
 * place, compares (memcmp/strcmp/strncmp) and formats numbers (snprintf). Only ASCII and
 * explicit unsigned char arithmetic, no locale-dependent calls. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const words[] = {
    "the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "emulator", "translates",
    "instructions", "into", "blocks", "of", "host", "code", "and", "caches", "them", "for",
    "reuse", "while", "syscalls", "are", "forwarded", "to", "kernel", "thumb", "arm",
    "aarch64", "register", "thing",
};
#define NWORDS (sizeof words / sizeof words[0])
#define WORDS_PER_ROUND 320

static uint32_t rng = 0xdeadbeefu;
static uint32_t next(void) {
    rng ^= rng << 13; rng ^= rng >> 17; rng ^= rng << 5;
    return rng;
}

static uint64_t hash = 0xcbf29ce484222325ull;
static void mix_bytes(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        hash = (hash ^ (unsigned char)s[i]) * 0x100000001b3ull;
}
static void mix_u32(uint32_t v) {
    for (int i = 0; i < 4; i++)
        hash = (hash ^ ((v >> (8 * i)) & 0xff)) * 0x100000001b3ull;
}

static void reverse(char *s, size_t n) {
    for (size_t i = 0, j = n; i + 1 < j; i++, j--) {
        char t = s[i];
        s[i] = s[j - 1];
        s[j - 1] = t;
    }
}

static uint32_t count_words(const char *s) {
    uint32_t n = 0;
    int in_word = 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        int letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (letter && !in_word)
            n++;
        in_word = letter;
    }
    return n;
}

static uint32_t count_sub(const char *hay, const char *needle) {
    uint32_t n = 0;
    size_t len = strlen(needle);
    for (const char *p = strstr(hay, needle); p; p = strstr(p + len, needle))
        n++;
    return n;
}

int main(int argc, char **argv) {
    long rounds = argc > 1 ? strtol(argv[1], NULL, 10) : 100;
    static char text[WORDS_PER_ROUND * 16 + 16], copy[sizeof text], prev[sizeof text];
    uint32_t freq[NWORDS + 1];
    memset(freq, 0, sizeof freq);
    prev[0] = '\0';
    for (long r = 0; r < rounds; r++) {
        /* build */
        char *p = text;
        for (int w = 0; w < WORDS_PER_ROUND; w++) {
            const char *word = words[next() % NWORDS];
            size_t len = strlen(word);
            memcpy(p, word, len);
            p += len;
            uint32_t sep = next() % 16;
            if (sep == 0) {
                strcpy(p, ". ");
                p += 2;
            } else if (sep == 1) {
                strcpy(p, ", ");
                p += 2;
            } else {
                *p++ = ' ';
            }
        }
        *p = '\0';
        if (text[0] >= 'a' && text[0] <= 'z')
            text[0] = (char)(text[0] - 'a' + 'A');
        size_t len = strlen(text);
        mix_u32((uint32_t)len);
        mix_u32(count_words(text));
        mix_u32(count_sub(text, "the"));
        mix_u32(count_sub(text, "ing"));
        mix_u32(count_sub(text, "s, t"));
        uint32_t commas = 0;
        for (const char *q = strchr(text, ','); q; q = strchr(q + 1, ','))
            commas++;
        mix_u32(commas);
        /* tokenize a copy, look tokens up, reverse them in place */
        memcpy(copy, text, len + 1);
        char *save = NULL;
        for (char *tok = strtok_r(copy, " ,.", &save); tok; tok = strtok_r(NULL, " ,.", &save)) {
            size_t tl = strlen(tok);
            size_t idx = NWORDS;
            for (size_t k = 0; k < NWORDS; k++)
                if (strcmp(tok, words[k]) == 0) {
                    idx = k;
                    break;
                }
            freq[idx]++;
            reverse(tok, tl);
            mix_bytes(tok, tl < 4 ? tl : 4);
        }
        /* reverse the whole text; compare with the previous round */
        reverse(text, len);
        int c1 = strcmp(text, prev), c2 = strncmp(text, prev, 8), c3 = memcmp(text, copy, 16);
        mix_u32((uint32_t)((c1 > 0) - (c1 < 0)) + 3 * (uint32_t)((c2 > 0) - (c2 < 0)) +
                9 * (uint32_t)((c3 > 0) - (c3 < 0)));
        mix_bytes(text, 32);
        memcpy(prev, text, len + 1);
        char num[64];
        int nl = snprintf(num, sizeof num, "%ld:%zu:%x", r, len, (unsigned)(hash >> 40));
        mix_bytes(num, (size_t)nl);
    }
    for (size_t k = 0; k <= NWORDS; k++)
        mix_u32(freq[k]);
    printf("checksum %016llx\n", (unsigned long long)hash);
    return 0;
}
