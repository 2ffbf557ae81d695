/* Scalar VFP under the JIT: arithmetic, conversions, compares, NaNs and the floating-point
 * environment (rounding modes, cumulative exception flags) as glibc's fenv sees them.
 * Prints bit patterns so any difference from qemu-user shows. */
#include <fenv.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static volatile double vd[] = {1.0, -1.5, 3.0, 0.0, -0.0, 1e308, 1e-310, 2147483648.0,
                               -2147483649.0, 4294967296.5, 0.1, -7.25};
static volatile float vf[] = {1.0f, -1.5f, 3.0f, 0.0f, -0.0f, 3e38f, 1e-40f, 2147483648.0f,
                              -2147483904.0f, 4294967296.0f, 0.1f, -7.25f};

static uint64_t bd(double x) { uint64_t u; memcpy(&u, &x, 8); return u; }
static uint32_t bf(float x) { uint32_t u; memcpy(&u, &x, 4); return u; }

static void flags(const char *what) {
    int f = fetestexcept(FE_ALL_EXCEPT);
    printf("%s flags:%s%s%s%s%s\n", what, f & FE_INVALID ? " invalid" : "",
           f & FE_DIVBYZERO ? " divbyzero" : "", f & FE_OVERFLOW ? " overflow" : "",
           f & FE_UNDERFLOW ? " underflow" : "", f & FE_INEXACT ? " inexact" : "");
    feclearexcept(FE_ALL_EXCEPT);
}

int main(void) {
    int n = sizeof vd / sizeof vd[0];
    uint64_t h = 0;
    feclearexcept(FE_ALL_EXCEPT);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double a = vd[i], b = vd[j];
            float x = vf[i], y = vf[j];
            h = h * 31 + bd(a + b) + bd(a - b) * 3 + bd(a * b) * 5 + bd(a / b) * 7;
            h = h * 31 + bf(x + y) + bf(x - y) * 3 + bf(x * y) * 5 + bf(x / y) * 7;
            h = h * 31 + (a < b) + (a == b) * 2 + (a > b) * 4 + (x <= y) * 8;
            h = h * 31 + bd(sqrt(fabs(a))) + bf(sqrtf(fabsf(x))) + bd(-a) + bf((float)a)
                + bd((double)x);
        }
    printf("arith %016llx\n", (unsigned long long)h);
    flags("arith");
    for (int i = 0; i < n; i++)
        printf("cvt %d: %d %u %d %u %.17g %.9g\n", i, (int)vd[i], (unsigned)vd[i], (int)vf[i],
               (unsigned)vf[i], (double)(int)vd[i], (float)(unsigned)(i * 123456789u));
    flags("cvt");
    volatile double z = 0.0, nan = NAN;
    printf("nan: %016llx %016llx %d\n", (unsigned long long)bd(z / z),
           (unsigned long long)bd(nan + 1.0), nan != nan);
    flags("nan");
    static const int modes[] = {FE_TONEAREST, FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO};
    for (int m = 0; m < 4; m++) {
        fesetround(modes[m]);
        volatile double third = vd[0] / vd[2];
        volatile float thirdf = vf[0] / vf[2];
        printf("round %d: %016llx %08x %016llx %ld\n", fegetround() == modes[m],
               (unsigned long long)bd(third), bf(thirdf), (unsigned long long)bd(-third * 3.0),
               lrint(vd[1]));
    }
    fesetround(FE_TONEAREST);
    flags("round");
    return 0;
}
