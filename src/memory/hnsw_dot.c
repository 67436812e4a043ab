/*
 * hnsw_dot.c — the dot product, where the index spends most of its time
 * (two thirds of a hybrid search at 100 000 memories).  A portable
 * version, and on x86-64 processors with AVX2 and FMA one that does 32
 * products a step in four registers; hnsw_dot_pick() chooses once per
 * index.  Both sum in a fixed order, so one machine always gets the same
 * answers.
 */
#include <stddef.h>

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

#ifdef HNSW_HAVE_AVX2
__attribute__((target("avx2,fma"))) static float
hnsw_dot_avx2(const float *a, const float *b, size_t n)
{
	__m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
	__m256 s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
	__m128 lo;
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
	s0 = _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3));
	lo = _mm_add_ps(_mm256_castps256_ps128(s0),
	    _mm256_extractf128_ps(s0, 1));
	lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
	lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
	s = _mm_cvtss_f32(lo);
	for (; i < n; i++)
		s += a[i] * b[i];
	return s;
}
#endif

hnsw_dot_fn
hnsw_dot_pick(void)
{
#ifdef HNSW_HAVE_AVX2
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
		return hnsw_dot_avx2;
#endif
	return hnsw_dot_generic;
}
