/* The ARM kernel user helpers at 0xffff0000 (Documentation/arm/kernel_user_helpers.rst). */
#include <stdio.h>
#include <stdint.h>

typedef int (kuser_cmpxchg_t)(int oldval, int newval, volatile int *ptr);
typedef int (kuser_cmpxchg64_t)(const int64_t *oldval, const int64_t *newval, volatile int64_t *ptr);
typedef void *(kuser_get_tls_t)(void);
typedef void (kuser_dmb_t)(void);
#define kuser_helper_version (*(int32_t *)0xffff0ffc)
#define kuser_cmpxchg (*(kuser_cmpxchg_t *)0xffff0fc0)
#define kuser_cmpxchg64 (*(kuser_cmpxchg64_t *)0xffff0f60)
#define kuser_get_tls (*(kuser_get_tls_t *)0xffff0fe0)
#define kuser_memory_barrier (*(kuser_dmb_t *)0xffff0fa0)

int main(void) {
    volatile int v = 5;
    volatile int64_t w = 0x100000000LL;
    int64_t old = 0x100000000LL, new = 0x200000003LL, wrong = 7;
    void *tp;
    __asm__ volatile("mrc p15, 0, %0, c13, c0, 3" : "=r"(tp));
    printf("version>=5 %d\n", kuser_helper_version >= 5);
    printf("tls matches %d\n", kuser_get_tls() == tp && tp != 0);
    kuser_memory_barrier();
    printf("cmpxchg ok %d -> %d\n", kuser_cmpxchg(5, 9, &v), v);
    printf("cmpxchg fail %d -> %d\n", kuser_cmpxchg(5, 11, &v) != 0, v);
    printf("cmpxchg64 ok %d -> %llx\n", kuser_cmpxchg64(&old, &new, &w), (unsigned long long)w);
    printf("cmpxchg64 fail %d -> %llx\n", kuser_cmpxchg64(&wrong, &old, &w) != 0, (unsigned long long)w);
    return 0;
}
