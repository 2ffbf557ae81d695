/* A SIGILL handler that reads and edits the interrupted context through its ucontext:
 * the saved PC (skips the undefined instruction), a general register and a floating-point
 * register in the frame's VFP (ARM uc_regspace) / fpsimd_context (AArch64 __reserved)
 * record; sigreturn must restore exactly what the handler left there. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

static volatile double seen_d8;
static volatile unsigned long seen_r0;
static volatile int thumb_seen, magic_ok;

static void on_ill(int sig, siginfo_t *si, void *ucv) {
    (void)sig; (void)si;
    ucontext_t *uc = ucv;
    unsigned char *rec;
    double d;
#if defined(__aarch64__)
    rec = (unsigned char *)uc->uc_mcontext.__reserved;
    magic_ok = *(uint32_t *)rec == 0x46508001 && *(uint32_t *)(rec + 4) == 528;
    memcpy(&d, rec + 16 + 8 * 16, 8);            /* low half of v8 */
    seen_r0 = uc->uc_mcontext.regs[0];
    uc->uc_mcontext.regs[0] = 77;
    uc->uc_mcontext.pc += 4;
#else
    rec = (unsigned char *)uc->uc_regspace;
    magic_ok = *(uint32_t *)rec == 0x56465001 && *(uint32_t *)(rec + 4) == 288;
    memcpy(&d, rec + 8 + 8 * 8, 8);              /* fpregs[8] */
    seen_r0 = uc->uc_mcontext.arm_r0;
    uc->uc_mcontext.arm_r0 = 77;
    thumb_seen = (uc->uc_mcontext.arm_cpsr & 0x20) != 0;
    uc->uc_mcontext.arm_pc += thumb_seen ? 2 : 4;
#endif
    seen_d8 = d;
    d = 7.25;
#if defined(__aarch64__)
    memcpy(rec + 16 + 8 * 16, &d, 8);
#else
    memcpy(rec + 8 + 8 * 8, &d, 8);
#endif
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_ill;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGILL, &sa, NULL);
    double in = 3.5, out;
#if defined(__aarch64__)
    register long r0 __asm__("x0") = 5;
    __asm__ volatile("fmov d8, %d[in]\n\t.inst 0x00000000\n\tfmov %d[out], d8"
                     : [out] "=w"(out), "+r"(r0) : [in] "w"(in) : "d8", "memory");
#elif defined(__thumb__)
    register long r0 __asm__("r0") = 5;
    __asm__ volatile("vmov.f64 d8, %P[in]\n\t.inst.n 0xde00\n\tvmov.f64 %P[out], d8"
                     : [out] "=w"(out), "+r"(r0) : [in] "w"(in) : "d8", "memory");
#else
    register long r0 __asm__("r0") = 5;
    __asm__ volatile("vmov.f64 d8, %P[in]\n\t.inst 0xe7f000f0\n\tvmov.f64 %P[out], d8"
                     : [out] "=w"(out), "+r"(r0) : [in] "w"(in) : "d8", "memory");
#endif
    printf("record magic ok=%d saved d8=%g r0=%lu -> after return d8=%g r0=%ld\n", magic_ok,
           seen_d8, seen_r0, out, r0);
    return 0;
}
