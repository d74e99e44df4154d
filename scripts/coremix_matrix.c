/* coremix: the matrix kernel. Three N x N matrices fit the part (A, B int16; C int32); each bench call adds
 * a constant to A, then C = A x constant, C = A x vector B, C = A x B, C = sum of bit fields of A x B,
 * each C summarised by a data-dependent scan, and A restored. N is computed at run time from the part's
 * size (9 for 666 bytes), as CoreMark does, so the loops are not unrolled for a constant. */
#include "coremix.h"

#define CLIP_B(x) ((x) & 0xffff)
#define CLIP_A(x) ((x) & 0x00ff)
#define BITS(x, from, width) (((x) >> (from)) & (~(0xffffffffu << (width))))
#define ALIGN4(p) ((void *)(4 + (((uintptr_t)(p) - 1) & ~(uintptr_t)3)))

uint32_t cm_matrix_init(uint32_t bytes, void *mem, int32_t seed, cm_mat *m) {
  uint32_t n = 0;
  while ((n + 1) * (n + 1) * 2 * 4 < bytes) n++; /* largest N whose three matrices fit */
  int16_t *a = ALIGN4(mem), *b = a + n * n;
  if (seed == 0) seed = 1;
  int32_t order = 1;
  for (uint32_t i = 0; i < n; i++)
    for (uint32_t j = 0; j < n; j++) {
      seed = (order * seed) % 65536;
      int16_t v = (int16_t)(seed + order);
      v = (int16_t)CLIP_B(v);
      b[i * n + j] = v;
      v = (int16_t)(v + order);
      v = (int16_t)CLIP_A(v);
      a[i * n + j] = v;
      order++;
    }
  m->n = n;
  m->a = a;
  m->b = b;
  m->c = ALIGN4(b + n * n);
  return n;
}

/* A data-dependent scan of C: counts rises, and resets a running sum that passes the clip value. */
int16_t summarise(uint32_t n, const int32_t *c, int16_t clip) {
  int32_t run = 0, prev = 0;
  int16_t score = 0;
  for (uint32_t i = 0; i < n; i++)
    for (uint32_t j = 0; j < n; j++) {
      int32_t cur = c[i * n + j];
      run += cur;
      if (run > clip) {
        score += 10;
        run = 0;
      } else {
        score += cur > prev ? 1 : 0;
      }
      prev = cur;
    }
  return score;
}

void add_scalar(uint32_t n, int16_t *a, int16_t v) {
  for (uint32_t i = 0; i < n; i++)
    for (uint32_t j = 0; j < n; j++) a[i * n + j] += v;
}

void times_scalar(uint32_t n, int32_t *c, const int16_t *a, int16_t v) {
  for (uint32_t i = 0; i < n; i++)
    for (uint32_t j = 0; j < n; j++) c[i * n + j] = (int32_t)a[i * n + j] * (int32_t)v;
}

void times_vector(uint32_t n, int32_t *c, const int16_t *a, const int16_t *b) {
  for (uint32_t i = 0; i < n; i++) {
    c[i] = 0;
    for (uint32_t j = 0; j < n; j++) c[i] += (int32_t)a[i * n + j] * (int32_t)b[j];
  }
}

void times_matrix(uint32_t n, int32_t *c, const int16_t *a, const int16_t *b) {
  for (uint32_t i = 0; i < n; i++)
    for (uint32_t j = 0; j < n; j++) {
      c[i * n + j] = 0;
      for (uint32_t k = 0; k < n; k++) c[i * n + j] += (int32_t)a[i * n + k] * (int32_t)b[k * n + j];
    }
}

void times_matrix_bits(uint32_t n, int32_t *c, const int16_t *a, const int16_t *b) {
  for (uint32_t i = 0; i < n; i++)
    for (uint32_t j = 0; j < n; j++) {
      c[i * n + j] = 0;
      for (uint32_t k = 0; k < n; k++) {
        int32_t p = (int32_t)a[i * n + k] * (int32_t)b[k * n + j];
        c[i * n + j] += (int32_t)(BITS(p, 2, 4) * BITS(p, 5, 7));
      }
    }
}

uint16_t matrix_steps(uint32_t n, int32_t *c, int16_t *a, const int16_t *b, int16_t v) {
  uint16_t crc = 0;
  int16_t clip = (int16_t)(0xf000 | v);
  add_scalar(n, a, v);
  times_scalar(n, c, a, v);
  crc = cm_crcs16(summarise(n, c, clip), crc);
  times_vector(n, c, a, b);
  crc = cm_crcs16(summarise(n, c, clip), crc);
  times_matrix(n, c, a, b);
  crc = cm_crcs16(summarise(n, c, clip), crc);
  times_matrix_bits(n, c, a, b);
  crc = cm_crcs16(summarise(n, c, clip), crc);
  add_scalar(n, a, (int16_t)-v); /* A back as it was */
  return crc;
}

uint16_t cm_matrix_bench(cm_mat *m, int16_t seed, uint16_t crc) {
  return cm_crc16(matrix_steps(m->n, m->c, m->a, m->b, seed), crc);
}
