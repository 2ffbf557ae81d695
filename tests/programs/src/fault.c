/* fault: die by a signal (or not), chosen by argv[1]:
 *   segv          store to address 0x10         -> SIGSEGV (139)
 *   segv-read     load from an unmapped address -> SIGSEGV (139)
 *   ill           execute an undefined insn     -> SIGILL  (132)
 *   abort         abort()                       -> SIGABRT (134)
 *   term          raise(SIGTERM)                -> SIGTERM (143)
 *   divzero-exit  integer divide by zero.  Divide instructions do not trap on
 *                 ARM, so this normally prints "survived" and exits 0 -- except
 *                 for ARM32 glibc builds: armv7-a has no divide instruction,
 *                 gcc calls libgcc's __aeabi_idiv, whose __aeabi_idiv0 does
 *                 raise(SIGFPE) -> 136.  (compiler-rt, used by zig, returns.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>

static int divide(int a, int b) { return a / b; }
int (*volatile divide_p)(int, int) = divide;

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "";
    printf("fault: %s\n", what);
    fflush(stdout);
    if (strcmp(what, "segv") == 0) {
        *(volatile int *)0x10 = 42;
    } else if (strcmp(what, "segv-read") == 0) {
        volatile int x = *(volatile int *)(unsigned long)0xdead0000ul;
        printf("read %d\n", x);
    } else if (strcmp(what, "ill") == 0) {
#if defined(__aarch64__)
        __asm__ volatile(".inst 0x00000000");   /* udf #0 */
#elif defined(__thumb__)
        __asm__ volatile(".inst.n 0xde00");     /* udf #0 (Thumb) */
#else
        __asm__ volatile(".inst 0xe7f000f0");   /* udf #0 (ARM) */
#endif
    } else if (strcmp(what, "abort") == 0) {
        abort();
    } else if (strcmp(what, "term") == 0) {
        raise(SIGTERM);
    } else if (strcmp(what, "divzero-exit") == 0) {
        volatile int zero = 0;
        int q = divide_p(7, zero);
        printf("7/0 survived\n");
        (void)q;
        return 0;
    } else {
        printf("unknown mode\n");
        return 2;
    }
    printf("still alive?!\n");
    return 1;
}
