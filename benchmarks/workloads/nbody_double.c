/* nbody_double: the classic 5-body (Sun + Jovian planets) simulation in double precision,
 * N time steps of symplectic Euler (dt = 0.01), as in the Computer Language Benchmarks Game.
 * FP add/mul/div/sqrt. The checksum hashes the exact bit patterns of the final energy and of
 * every position and velocity, so any FP emulation difference shows. Built with
 * -ffp-contract=off, IEEE-754 + - * / sqrt give bit-identical results on ARM32, AArch64 and
 * x86-64 (no libm transcendental functions are used). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

typedef double real;
#define SQRT sqrt

#define PI 3.141592653589793
#define SOLAR_MASS ((real)(4 * PI * PI))
#define DAYS_PER_YEAR ((real)365.24)
#define NBODIES 5

struct body { real x, y, z, vx, vy, vz, mass; };

static struct body bodies[NBODIES] = {
    {0, 0, 0, 0, 0, 0, 0},  /* sun; mass set in main */
    {4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
     1.66007664274403694e-03, 7.69901118419740425e-03, -6.90460016972063023e-05,
     9.54791938424326609e-04},
    {8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
     -2.76742510726862411e-03, 4.99852801234917238e-03, 2.30417297573763929e-05,
     2.85885980666130812e-04},
    {1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
     2.96460137564761618e-03, 2.37847173959480950e-03, -2.96589568540237556e-05,
     4.36624404335156298e-05},
    {1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
     2.68067772490389322e-03, 1.62824170038242295e-03, -9.51592254519715870e-05,
     5.15138902046611451e-05},
};

static void advance(real dt) {
    for (int i = 0; i < NBODIES; i++) {
        struct body *a = &bodies[i];
        for (int j = i + 1; j < NBODIES; j++) {
            struct body *b = &bodies[j];
            real dx = a->x - b->x, dy = a->y - b->y, dz = a->z - b->z;
            real d2 = dx * dx + dy * dy + dz * dz;
            real dist = SQRT(d2);
            real mag = dt / (d2 * dist);
            a->vx -= dx * b->mass * mag; a->vy -= dy * b->mass * mag; a->vz -= dz * b->mass * mag;
            b->vx += dx * a->mass * mag; b->vy += dy * a->mass * mag; b->vz += dz * a->mass * mag;
        }
    }
    for (int i = 0; i < NBODIES; i++) {
        struct body *a = &bodies[i];
        a->x += dt * a->vx; a->y += dt * a->vy; a->z += dt * a->vz;
    }
}

static real energy(void) {
    real e = 0;
    for (int i = 0; i < NBODIES; i++) {
        struct body *a = &bodies[i];
        e += (real)0.5 * a->mass * (a->vx * a->vx + a->vy * a->vy + a->vz * a->vz);
        for (int j = i + 1; j < NBODIES; j++) {
            struct body *b = &bodies[j];
            real dx = a->x - b->x, dy = a->y - b->y, dz = a->z - b->z;
            e -= a->mass * b->mass / SQRT(dx * dx + dy * dy + dz * dz);
        }
    }
    return e;
}

static void offset_momentum(void) {
    real px = 0, py = 0, pz = 0;
    for (int i = 0; i < NBODIES; i++) {
        px += bodies[i].vx * bodies[i].mass;
        py += bodies[i].vy * bodies[i].mass;
        pz += bodies[i].vz * bodies[i].mass;
    }
    bodies[0].vx = -px / SOLAR_MASS;
    bodies[0].vy = -py / SOLAR_MASS;
    bodies[0].vz = -pz / SOLAR_MASS;
}

static uint64_t hash = 0xcbf29ce484222325ull;

static void mix(real v) {
    unsigned char b[sizeof v];
    memcpy(b, &v, sizeof v);  /* little-endian on every target */
    for (size_t i = 0; i < sizeof v; i++)
        hash = (hash ^ b[i]) * 0x100000001b3ull;
}

int main(int argc, char **argv) {
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 50000;
    for (int i = 1; i < NBODIES; i++) {
        bodies[i].vx *= DAYS_PER_YEAR;
        bodies[i].vy *= DAYS_PER_YEAR;
        bodies[i].vz *= DAYS_PER_YEAR;
        bodies[i].mass *= SOLAR_MASS;
    }
    bodies[0].mass = SOLAR_MASS;
    offset_momentum();
    mix(energy());
    for (long s = 0; s < n; s++)
        advance((real)0.01);
    mix(energy());
    for (int i = 0; i < NBODIES; i++) {
        mix(bodies[i].x); mix(bodies[i].y); mix(bodies[i].z);
        mix(bodies[i].vx); mix(bodies[i].vy); mix(bodies[i].vz);
    }
    printf("checksum %016llx\n", (unsigned long long)hash);
    return 0;
}
