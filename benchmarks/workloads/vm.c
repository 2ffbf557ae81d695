/* vm: a small register-machine bytecode interpreter with a computed-goto dispatch loop
 * (GNU C "labels as values"; one indirect branch per bytecode, like a threaded interpreter).
 * The guest bytecode program counts the primes below N by trial division, hashes them, and
 * calls a subroutine that computes fib(k mod 32) iteratively for every prime k: tight loops
 * of short instructions -- the emulator's indirect-branch / block-chaining worst case. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum op { HALT, LI, MOV, ADD, ADDI, SUB, MUL, MODU, ANDI, LTU, JMP, JZ, JNZ, CALL, RET };

struct insn {
    uint8_t op, a, b, c;
    int32_t imm;
};

#define I(o, a, b, c, imm) {o, a, b, c, imm}

/* registers: r0 = limit N, r1 = n, r2 = prime count, r3 = hash, r4 = divisor,
 * r5..r9 scratch, r10 = fib sum, r11 = link */
static const struct insn program[] = {
    /*  0 */ I(LI, 1, 0, 0, 2),        /* n = 2 */
    /*  1 */ I(LI, 2, 0, 0, 0),        /* count = 0 */
    /*  2 */ I(LI, 3, 0, 0, 17),       /* hash = 17 */
    /*  3 */ I(LI, 10, 0, 0, 0),       /* fibsum = 0 */
    /* loop_n: */
    /*  4 */ I(LTU, 5, 1, 0, 0),       /* r5 = n < N */
    /*  5 */ I(JZ, 5, 0, 0, 24),       /* if !r5 goto done */
    /*  6 */ I(LI, 4, 0, 0, 2),        /* d = 2 */
    /* loop_d: */
    /*  7 */ I(MUL, 6, 4, 4, 0),       /* r6 = d*d */
    /*  8 */ I(LTU, 7, 1, 6, 0),       /* r7 = n < d*d */
    /*  9 */ I(JNZ, 7, 0, 0, 14),      /* if r7 goto prime */
    /* 10 */ I(MODU, 8, 1, 4, 0),      /* r8 = n % d */
    /* 11 */ I(JZ, 8, 0, 0, 22),       /* if r8 == 0 goto next_n */
    /* 12 */ I(ADDI, 4, 4, 0, 1),      /* d++ */
    /* 13 */ I(JMP, 0, 0, 0, 7),
    /* prime: */
    /* 14 */ I(ADDI, 2, 2, 0, 1),      /* count++ */
    /* 15 */ I(LI, 9, 0, 0, 31),
    /* 16 */ I(MUL, 3, 3, 9, 0),       /* hash *= 31 */
    /* 17 */ I(ADD, 3, 3, 1, 0),       /* hash += n */
    /* 18 */ I(ANDI, 5, 1, 0, 31),     /* r5 = n & 31 (argument) */
    /* 19 */ I(CALL, 11, 0, 0, 25),    /* r6 = fib(r5) */
    /* 20 */ I(ADD, 10, 10, 6, 0),     /* fibsum += r6 */
    /* 21 */ I(JMP, 0, 0, 0, 22),
    /* next_n: */
    /* 22 */ I(ADDI, 1, 1, 0, 1),      /* n++ */
    /* 23 */ I(JMP, 0, 0, 0, 4),
    /* done: */
    /* 24 */ I(HALT, 0, 0, 0, 0),
    /* fib: r6 = fib(r5), clobbers r5, r7, r8, r9; returns through r11 */
    /* 25 */ I(LI, 6, 0, 0, 0),        /* a = 0 */
    /* 26 */ I(LI, 7, 0, 0, 1),        /* b = 1 */
    /* 27 */ I(LI, 9, 0, 0, 1),        /* one = 1 */
    /* fib_loop: */
    /* 28 */ I(JZ, 5, 0, 0, 34),       /* while (k) */
    /* 29 */ I(ADD, 8, 6, 7, 0),       /*   t = a + b */
    /* 30 */ I(MOV, 6, 7, 0, 0),       /*   a = b */
    /* 31 */ I(MOV, 7, 8, 0, 0),       /*   b = t */
    /* 32 */ I(SUB, 5, 5, 9, 0),       /*   k -= one */
    /* 33 */ I(JMP, 0, 0, 0, 28),
    /* 34 */ I(RET, 11, 0, 0, 0),
};

static uint64_t run(const struct insn *code, uint32_t *r) {
    static const void *labels[] = {&&l_halt, &&l_li, &&l_mov, &&l_add, &&l_addi, &&l_sub,
                                   &&l_mul, &&l_modu, &&l_andi, &&l_ltu, &&l_jmp, &&l_jz,
                                   &&l_jnz, &&l_call, &&l_ret};
    const struct insn *pc = code;
    uint64_t steps = 0;
#define NEXT do { steps++; goto *labels[pc->op]; } while (0)
    NEXT;
l_li:   r[pc->a] = (uint32_t)pc->imm; pc++; NEXT;
l_mov:  r[pc->a] = r[pc->b]; pc++; NEXT;
l_add:  r[pc->a] = r[pc->b] + r[pc->c]; pc++; NEXT;
l_addi: r[pc->a] = r[pc->b] + (uint32_t)pc->imm; pc++; NEXT;
l_sub:  r[pc->a] = r[pc->b] - r[pc->c]; pc++; NEXT;
l_mul:  r[pc->a] = r[pc->b] * r[pc->c]; pc++; NEXT;
l_modu: r[pc->a] = r[pc->c] ? r[pc->b] % r[pc->c] : 0; pc++; NEXT;
l_andi: r[pc->a] = r[pc->b] & (uint32_t)pc->imm; pc++; NEXT;
l_ltu:  r[pc->a] = r[pc->b] < r[pc->c]; pc++; NEXT;
l_jmp:  pc = code + pc->imm; NEXT;
l_jz:   pc = r[pc->a] ? pc + 1 : code + pc->imm; NEXT;
l_jnz:  pc = r[pc->a] ? code + pc->imm : pc + 1; NEXT;
l_call: r[pc->a] = (uint32_t)(pc - code) + 1; pc = code + pc->imm; NEXT;
l_ret:  pc = code + r[pc->a]; NEXT;
l_halt:
    return steps;
#undef NEXT
}

int main(int argc, char **argv) {
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 20000;
    uint32_t r[16] = {0};
    r[0] = (uint32_t)n;
    uint64_t steps = run(program, r);
    printf("checksum %u-%08x-%08x-%llu\n", (unsigned)r[2], (unsigned)r[3], (unsigned)r[10],
           (unsigned long long)steps);
    return 0;
}
