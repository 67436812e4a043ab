/*
 * hnsw_dot.c — the dot product, where the index spends most of its time
 * (two thirds of a hybrid search at 100 000 memories, most of it reading
 * vectors).  Two kinds: float query by float row (exact: scans, the
 * final order, links) and float query by a half-precision copy of the
 * row (the graph walk, which then reads half the bytes).  A portable
 * version of each, and on x86-64 processors with AVX2, FMA and F16C ones
 * that do 32 products a step in four registers; hnsw_dot_pick() chooses
 * once per index.  All sum in a fixed order, so one machine always gets
 * the same answers.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "memory/hnsw_int.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HNSW_HAVE_AVX2 1
#endif

/*
 * Eight partial sums: without -ffast-math gcc may not reorder one float
 * accumulator, but it does turn eight independent ones into two SIMD
 * registers at -O2, which also breaks the add latency chain.
 */
static float
hnsw_dot_generic(const float *a, const float *b, size_t n)
{
	float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		s0 += a[i] * b[i];
		s1 += a[i + 1] * b[i + 1];
		s2 += a[i + 2] * b[i + 2];
		s3 += a[i + 3] * b[i + 3];
		s4 += a[i + 4] * b[i + 4];
		s5 += a[i + 5] * b[i + 5];
		s6 += a[i + 6] * b[i + 6];
		s7 += a[i + 7] * b[i + 7];
	}
	for (; i < n; i++)
		s0 += a[i] * b[i];
	return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
}

/* IEEE 754 binary16 from float, rounded to nearest even. */
uint16_t
hnsw_half(float f)
{
	uint32_t x, sign, mant, h, rem, shift;
	int32_t exp;

	memcpy(&x, &f, sizeof x);
	sign = (x >> 16) & 0x8000;
	mant = x & 0x7fffff;
	exp = (int32_t)((x >> 23) & 0xff) - 127 + 15;
	if (((x >> 23) & 0xff) == 0xff) /* inf, nan */
		return (uint16_t)(sign | 0x7c00 | (mant != 0 ? 0x200 : 0));
	if (exp >= 31)
		return (uint16_t)(sign | 0x7c00);
	if (exp <= 0) { /* a subnormal half, or zero */
		if (exp < -10)
			return (uint16_t)sign;
		mant |= 0x800000;
		shift = (uint32_t)(14 - exp);
		h = mant >> shift;
		rem = mant & ((1u << shift) - 1);
		if (rem > 1u << (shift - 1) ||
		    (rem == 1u << (shift - 1) && (h & 1)))
			h++;
		return (uint16_t)(sign | h);
	}
	h = (uint32_t)exp << 10 | mant >> 13;
	rem = mant & 0x1fff;
	if (rem > 0x1000 || (rem == 0x1000 && (h & 1)))
		h++; /* a carry into the exponent is right too */
	return (uint16_t)(sign | h);
}

float
hnsw_unhalf(uint16_t h)
{
	uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f;
	uint32_t mant = h & 0x3ff, x;
	float f;

	if (exp == 0 && mant == 0)
		x = sign;
	else if (exp == 0) { /* subnormal: normalise */
		exp = 127 - 15 + 1;
		while (!(mant & 0x400)) {
			mant <<= 1;
			exp--;
		}
		x = sign | exp << 23 | (mant & 0x3ff) << 13;
	} else if (exp == 31)
		x = sign | 0x7f800000 | mant << 13;
	else
		x = sign | (exp + 127 - 15) << 23 | mant << 13;
	memcpy(&f, &x, sizeof f);
	return f;
}

static float
hnsw_doth_generic(const float *a, const uint16_t *b, size_t n)
{
	float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
	size_t i;

	for (i = 0; i + 4 <= n; i += 4) {
		s0 += a[i] * hnsw_unhalf(b[i]);
		s1 += a[i + 1] * hnsw_unhalf(b[i + 1]);
		s2 += a[i + 2] * hnsw_unhalf(b[i + 2]);
		s3 += a[i + 3] * hnsw_unhalf(b[i + 3]);
	}
	for (; i < n; i++)
		s0 += a[i] * hnsw_unhalf(b[i]);
	return (s0 + s1) + (s2 + s3);
}

#ifdef HNSW_HAVE_AVX2
/* The sum of the eight lanes of s, in a fixed order. */
__attribute__((target("avx2,fma"))) static float
hnsw_hsum(__m256 s)
{
	__m128 lo =
	    _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));

	lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
	lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
	return _mm_cvtss_f32(lo);
}

#define HNSW_LOADH(p) _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(p)))

__attribute__((target("avx2,fma,f16c"))) static float
hnsw_doth_avx2(const float *a, const uint16_t *b, size_t n)
{
	__m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
	__m256 s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
	float s;
	size_t i;

	for (i = 0; i + 32 <= n; i += 32) {
		s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), HNSW_LOADH(b + i),
		    s0);
		s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8),
		    HNSW_LOADH(b + i + 8), s1);
		s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16),
		    HNSW_LOADH(b + i + 16), s2);
		s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24),
		    HNSW_LOADH(b + i + 24), s3);
	}
	for (; i + 8 <= n; i += 8)
		s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), HNSW_LOADH(b + i),
		    s0);
	s = hnsw_hsum(
	    _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
	for (; i < n; i++)
		s += a[i] * hnsw_unhalf(b[i]);
	return s;
}

__attribute__((target("avx2,fma"))) static float
hnsw_dot_avx2(const float *a, const float *b, size_t n)
{
	__m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
	__m256 s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
	float s;
	size_t i;

	for (i = 0; i + 32 <= n; i += 32) {
		s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i),
		    _mm256_loadu_ps(b + i), s0);
		s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8),
		    _mm256_loadu_ps(b + i + 8), s1);
		s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16),
		    _mm256_loadu_ps(b + i + 16), s2);
		s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24),
		    _mm256_loadu_ps(b + i + 24), s3);
	}
	for (; i + 8 <= n; i += 8)
		s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i),
		    _mm256_loadu_ps(b + i), s0);
	s = hnsw_hsum(
	    _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
	for (; i < n; i++)
		s += a[i] * b[i];
	return s;
}
#endif

/*
 * Every processor with AVX2 and FMA has F16C too (it came earlier).
 * OXIOS_HNSW_GENERIC in the environment keeps the portable versions: the
 * tests use it to check one against the other on the same machine.
 */
void
hnsw_dot_pick(hnsw_dot_fn *dot, hnsw_doth_fn *doth)
{
	*dot = hnsw_dot_generic;
	*doth = hnsw_doth_generic;
#ifdef HNSW_HAVE_AVX2
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
	    getenv("OXIOS_HNSW_GENERIC") == NULL) {
		*dot = hnsw_dot_avx2;
		*doth = hnsw_doth_avx2;
	}
#endif
}
