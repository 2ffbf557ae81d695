/* fp: double and float arithmetic, libm, conversions, comparisons with
 * NaN/infinity, printf %.17g (exact round trip).  Inputs come from
 * strtod/volatile so the compiler cannot fold the work away; on ARM32
 * this runs on VFP, on AArch64 on the FP/SIMD unit. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <math.h>
#include <float.h>

static double D(const char *s) { return strtod(s, NULL); }
static float F(const char *s) { return strtof(s, NULL); }

static uint64_t bits(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }
static uint32_t fbits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }

/* NaN sign/payload printing differs between libcs, so classify instead */
static const char *cls(double d)
{
    if (isnan(d)) return "nan";
    if (isinf(d)) return d > 0 ? "+inf" : "-inf";
    return "finite";
}

__attribute__((noinline)) static double poly(double x)
{
    double r = 0;
    static const double c[] = { 1.0, -0.5, 0.25, -0.125, 0.0625 };
    for (int i = 4; i >= 0; i--) r = r * x + c[i];
    return r;
}

int main(void)
{
    volatile double a = D("1.5"), b = D("-2.25"), z = D("0"), big = D("1e308"), tiny = D("4.9e-324");
    volatile float fa = F("1.5"), fb = F("-2.25");

    printf("add %.17g sub %.17g mul %.17g div %.17g\n", a + b, a - b, a * b, a / b);
    printf("third %.17g  0.1+0.2 %.17g\n", D("1") / D("3"), D("0.1") + D("0.2"));
    printf("float add %.9g mul %.9g div %.9g third %.9g\n", (double)(fa + fb), (double)(fa * fb),
           (double)(fa / fb), (double)(F("1") / F("3")));
    printf("bits 1/3 %016llx  float 1/3 %08x\n", (unsigned long long)bits(D("1") / D("3")),
           (unsigned)fbits(F("1") / F("3")));
    printf("sqrt2 %.17g sqrtf2 %.9g\n", sqrt(D("2")), (double)sqrtf(F("2")));
    printf("sin %.17g cos %.17g tan %.17g\n", sin(D("0.5")), cos(D("0.5")), tan(D("0.5")));
    printf("exp %.17g log %.17g log10 %.17g pow %.17g\n", exp(D("1")), log(D("10")), log10(D("2")),
           pow(D("2"), D("0.5")));
    printf("atan2 %.17g hypot %.17g cbrt %.17g\n", atan2(D("1"), D("-1")), hypot(D("3"), D("4")),
           cbrt(D("27")));
    printf("sinf %.9g expf %.9g logf %.9g\n", (double)sinf(F("0.5")), (double)expf(F("1")),
           (double)logf(F("10")));
    printf("floor %g ceil %g round %g trunc %g rint %g nearbyint %g\n", floor(D("-2.5")),
           ceil(D("-2.5")), round(D("-2.5")), trunc(D("-2.5")), rint(D("-2.5")), nearbyint(D("3.5")));
    printf("fmod %.17g remainder %.17g fabs %g copysign %g\n", fmod(D("10"), D("3")),
           remainder(D("10"), D("3")), fabs(b), copysign(D("3"), b));
    int ex;
    double fr = frexp(D("48"), &ex);
    printf("frexp %g %d ldexp %g modf ", fr, ex, ldexp(D("0.75"), 4));
    double ip;
    double fp = modf(D("-3.75"), &ip);
    printf("%g %g\n", ip, fp);
    printf("fma %.17g  a*b+c %.17g\n", fma(D("0.1"), D("10"), D("-1")), D("0.1") * D("10") - D("1"));
    printf("poly(0.3) %.17g\n", poly(D("0.3")));

    /* conversions */
    volatile double neg = D("-7.9"), pos = D("7.9"), huge = D("3e9"), mhuge = D("-3e9");
    printf("d->i %d %d  d->u %u  d->ll %lld %lld  d->ull %llu\n", (int)neg, (int)pos,
           (unsigned)pos, (long long)huge, (long long)mhuge, (unsigned long long)huge);
    volatile int iv = -123456789; volatile unsigned uv = 4000000000u;
    volatile long long llv = -9007199254740993LL; volatile unsigned long long ullv = 18446744073709551615ULL;
    printf("i->d %.17g u->d %.17g ll->d %.17g ull->d %.17g\n", (double)iv, (double)uv,
           (double)llv, (double)ullv);
    printf("i->f %.9g ull->f %.9g d->f %.9g f->d %.17g\n", (double)(float)iv, (double)(float)ullv,
           (double)(float)D("0.1"), (double)F("0.1"));
    printf("lround %ld llrint %lld\n", lround(D("2.5")), llrint(D("2.5")));

    /* special values */
    volatile double inf = a / z, nan1 = z / z, ninf = -inf;
    printf("1/0 %s  0/0 %s  -inf %s  big*10 %s  sqrt(-1) %s  log(0) %s\n", cls(inf), cls(nan1),
           cls(ninf), cls(big * 10), cls(sqrt(D("-1"))), cls(log(z)));
    printf("inf print: %f %f %e\n", inf, ninf, inf);
    printf("denorm %.17g half %.17g  DBL_MIN %.17g DBL_MAX %.17g DBL_EPSILON %.17g\n", tiny,
           tiny / 2, DBL_MIN, DBL_MAX, DBL_EPSILON);
    printf("FLT_MIN %.9g FLT_MAX %.9g  float overflow %s  float denorm %.9g\n", (double)FLT_MIN,
           (double)FLT_MAX, cls((double)(fa * F("3e38"))), (double)(F("1e-38") / F("100")));
    printf("nan cmp: == %d != %d < %d > %d <= %d >= %d  self== %d  isnan %d isunordered %d\n",
           nan1 == nan1, nan1 != nan1, nan1 < a, nan1 > a, nan1 <= a, nan1 >= a, nan1 == nan1,
           isnan(nan1) != 0, isunordered(nan1, a));
    printf("cmp: %d %d %d %d  -0==0 %d  signbit(-0) %d  inf>max %d\n", a < b, a > b, a <= a,
           b >= a, D("-0.0") == z, signbit(D("-0.0")) != 0, inf > DBL_MAX);
    printf("fmax(nan,1) %g fmin(1,nan) %g\n", fmax(nan1, a), fmin(a, nan1));

    /* parse / print round trips */
    const char *strs[] = { "3.141592653589793", "2.718281828459045", "1e-300", "123456789012345678",
                           "0.30000000000000004", "-0.0", "6.02214076e23", "5e-324" };
    for (unsigned i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        double d = D(strs[i]);
        char buf[64];
        snprintf(buf, sizeof buf, "%.17g", d);
        printf("rt %s -> %s %s %016llx\n", strs[i], buf, D(buf) == d ? "same" : "DIFF",
               (unsigned long long)bits(d));
    }

    /* a small numeric loop: Leibniz pi and a float accumulation */
    double pi = 0;
    for (int k = 0; k < 100000; k++) pi += (k % 2 ? -4.0 : 4.0) / (2 * k + 1);
    float facc = 0;
    for (int k = 1; k <= 10000; k++) facc += 1.0f / (float)k;
    printf("leibniz %.17g  harmonic(float) %.9g\n", pi, (double)facc);
    return 0;
}
