#!/usr/bin/python3
"""Writes float_goldens.json: what C prints for the values drgn 0.0.22 cannot
format, by the rule drgn uses for doubles (`%.1f` when the value is
integral, else `%.{DECIMAL_DIG}g`), computed by glibc's printf and
libquadmath's quadmath_snprintf from a C program compiled with gcc:

  double       rint(x) == x ? "%.1f"  : "%.17g"   (also checked against drgn)
  float        (converted to double, as drgn does)
  long double  rintl(x) == x ? "%.1Lf" : "%.21Lg"  (x87 80-bit, 16 bytes in memory)
  __float128   rintq(x) == x ? "%.1Qf" : "%.36Qg"  (IEEE binary128)
  _Complex     "<real> + <imag>i" (each part by its float rule; a part with
               the sign bit set is printed as " - " and its magnitude)

and the decimal values of 128-bit integers (Python's int, from the bytes).
Run: /usr/bin/python3 tests/data/object/gen_c_goldens.py (needs gcc, libquadmath).
"""

import json
import os
import random
import subprocess
import tempfile

C_SOURCE = r"""
#include <complex.h>
#include <float.h>
#include <math.h>
#include <quadmath.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint64_t state = 0x9e3779b97f4a7c15ULL;
static uint64_t next(void) {
    state ^= state << 13; state ^= state >> 7; state ^= state << 17;
    return state;
}

static void hex(const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) printf("%02x", b[i]);
}

static void dbl(const char *kind, double x) {
    printf("%s ", kind);
    hex(&x, 8);
    if (rint(x) == x) printf(" %.1f\n", x); else printf(" %.17g\n", x);
}

static void flt(float f) {
    double x = f;
    printf("float ");
    hex(&f, 4);
    if (rint(x) == x) printf(" %.1f\n", x); else printf(" %.17g\n", x);
}

static void ld_str(long double x, char *out, size_t n) {
    if (rintl(x) == x) snprintf(out, n, "%.1Lf", x); else snprintf(out, n, "%.21Lg", x);
}

static void ld(long double x) {
    unsigned char b[16];
    char s[8192];
    memset(b, 0, sizeof(b));
    memcpy(b, &x, 10);
    ld_str(x, s, sizeof(s));
    printf("x87 ");
    hex(b, 16);
    printf(" %s\n", s);
}

static void q(__float128 x) {
    char s[8192];
    if (rintq(x) == x) quadmath_snprintf(s, sizeof(s), "%.1Qf", x);
    else quadmath_snprintf(s, sizeof(s), "%.36Qg", x);
    printf("binary128 ");
    hex(&x, 16);
    printf(" %s\n", s);
}

static void part(double x, char *out, size_t n) {
    if (rint(x) == x) snprintf(out, n, "%.1f", x); else snprintf(out, n, "%.17g", x);
}

static void cplx(const char *kind, double re, double im, const void *bytes, size_t size) {
    char a[512], b[512];
    part(re, a, sizeof(a));
    part(signbit(im) ? -im : im, b, sizeof(b));
    if (isnan(im)) snprintf(b, sizeof(b), "nan");
    printf("%s ", kind);
    hex(bytes, size);
    printf(" %s %s %si\n", a, signbit(im) ? "-" : "+", b);
}

int main(void) {
    double dspecial[] = {0.0, -0.0, 1.0, 0.1, -0.3, 1e-5, 1e22, 1e300, 5e-324, DBL_MAX, DBL_MIN,
                         100000000000000.125, 4503599627370495.5, 0.5, 2.5, 1e21, 1e-310,
                         123456789012345678.0, 9007199254740993.0, 1.0/3, INFINITY, -INFINITY, NAN, -NAN};
    for (size_t i = 0; i < sizeof(dspecial) / sizeof(dspecial[0]); i++) dbl("double", dspecial[i]);
    for (int i = 0; i < 3000; i++) {
        uint64_t bits = next();
        double x;
        memcpy(&x, &bits, 8);
        dbl("double", x);
    }
    /* Values with few significant bits, where ties to even matter. */
    for (int i = 0; i < 2000; i++) {
        double x = ldexp((double)(int64_t)(next() >> 11) * ((next() & 1) ? 1 : -1), -(int)(next() % 60));
        dbl("double", x);
    }
    for (int i = 0; i < 500; i++) {
        uint32_t bits = (uint32_t)next();
        float f;
        memcpy(&f, &bits, 4);
        flt(f);
    }
    long double lspecial[] = {0.0L, -0.0L, 1.0L, 1.0L / 3.0L, 0.1L, -2.5L, 1e4000L, LDBL_MAX, LDBL_MIN,
                              LDBL_TRUE_MIN, 1e20L, 123456789.125L, 18446744073709551615.0L, 1e-4000L,
                              (long double)INFINITY, -(long double)INFINITY, (long double)NAN,
                              -(long double)NAN, 3.14159265358979323846264338327950288L};
    for (size_t i = 0; i < sizeof(lspecial) / sizeof(lspecial[0]); i++) ld(lspecial[i]);
    for (int i = 0; i < 400; i++) {
        unsigned char b[16];
        long double x;
        uint64_t mant = next() | (1ULL << 63);
        unsigned exp = 1 + (unsigned)(next() % 0x7ffe);
        if (i % 4 == 0) exp = 16383 + (unsigned)(next() % 80) - 20; /* near 1 */
        if (i % 17 == 0) { exp = 0; mant >>= 1 + next() % 40; } /* denormal */
        unsigned se = exp | ((next() & 1) ? 0x8000 : 0);
        memset(b, 0, 16);
        memcpy(b, &mant, 8);
        b[8] = se & 0xff;
        b[9] = se >> 8;
        memcpy(&x, b, 16);
        ld(x);
    }
    for (int i = 0; i < 100; i++) ld(ldexpl((long double)(int64_t)next(), -(int)(next() % 70)));
    __float128 qspecial[] = {0, -0.0Q, 1, 1.0Q / 3, 0.1Q, -2.5Q, FLT128_MAX, FLT128_MIN, 1e4000Q,
                             __builtin_infq(), -__builtin_infq(), __builtin_nanq(""), 12345678901234567890123456789.0Q};
    for (size_t i = 0; i < sizeof(qspecial) / sizeof(qspecial[0]); i++) q(qspecial[i]);
    for (int i = 0; i < 300; i++) {
        uint64_t lo = next(), hi = next();
        unsigned exp = 1 + (unsigned)(next() % 0x7ffe);
        if (i % 3 == 0) exp = 16383 + (unsigned)(next() % 120) - 40;
        hi = (hi & 0x8000ffffffffffffULL) | ((uint64_t)exp << 48);
        __float128 x;
        uint64_t w[2] = {lo, hi};
        memcpy(&x, w, 16);
        q(x);
    }
    double complex cd[] = {1.5 + 2.5 * I, -1.0 - 0.5 * I, 0.1 + 0.0 * I, 3.0 - 0.0 * I, 0};
    for (size_t i = 0; i < sizeof(cd) / sizeof(cd[0]); i++)
        cplx("complex_double", creal(cd[i]), cimag(cd[i]), &cd[i], sizeof(cd[i]));
    float complex cf[] = {-1.0f + 0.5f * I, 0.1f - 3.25f * I};
    for (size_t i = 0; i < sizeof(cf) / sizeof(cf[0]); i++)
        cplx("complex_float", crealf(cf[i]), cimagf(cf[i]), &cf[i], sizeof(cf[i]));
    return 0;
}
"""


def main():
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "floats.c")
        exe = os.path.join(tmp, "floats")
        with open(src, "w") as f:
            f.write(C_SOURCE)
        subprocess.run(["gcc", "-O1", "-o", exe, src, "-lquadmath", "-lm"], check=True)
        out = subprocess.run([exe], check=True, capture_output=True, text=True).stdout
    goldens = {}
    for line in out.splitlines():
        kind, hx, text = line.split(" ", 2)
        goldens.setdefault(kind, []).append([hx, text])
    rng = random.Random(128)
    ints = [0, 1, -1, 2**127 - 1, -2**127, -(1 << 100) - 7, 2**64, -2**64, 2**63]
    ints += [rng.getrandbits(128) - 2**127 for _ in range(50)]
    goldens["int128"] = [
        [(v % 2**128).to_bytes(16, "little").hex(), str(v), str(v % 2**128)] for v in ints
    ]
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "float_goldens.json")
    with open(path, "w") as f:
        json.dump({"generator": "gen_c_goldens.py", **goldens}, f, indent=0)
        f.write("\n")
    print({k: len(v) for k, v in goldens.items() if isinstance(v, list)})


main()
