/* Helpers shared by the Cortex-M4/M7/M33 (DSP extension) kernels: ACLE SIMD intrinsics, unaligned
 * word access and the compile-time prepared requantization (tfedge_requant_ch). Only included
 * when __ARM_FEATURE_DSP is defined. */
#ifndef TFEDGE_DSP_H
#define TFEDGE_DSP_H

#include <arm_acle.h>
#include <stdint.h>
#include <string.h>

#include "tfedge_fixedpoint.h"
#include "tfedge_kernels.h"
#include "tfedge_uses.h"

/* A 32-bit load from any address (LDR: unaligned accesses are legal on v7E-M/v8-M Main). */
static inline uint32_t tfedge_ld32(const void *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

/* SXTB16 / SXTAB16 of the odd bytes (ROR #8 folded into the instruction; GCC 12's ACLE has no __ror). */
static inline uint32_t tfedge_sxtb16_ror8(uint32_t x) {
  uint32_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
  return r;
}

static inline uint32_t tfedge_sxtab16_ror8(uint32_t a, uint32_t x) {
  uint32_t r;
  __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(x));
  return r;
}

static inline void tfedge_st32(void *p, uint32_t v) { memcpy(p, &v, 4); }

/* MultiplyByQuantizedMultiplier(acc, mult, -e) + output_offset, exact (see tfedge_requant_ch):
 * one SMLAL on a preset 64-bit accumulator and one shift, instead of two roundings. */
static inline int32_t tfedge_dsp_requant(int32_t acc, const tfedge_requant_ch *r) {
  uint32_t lo = 0x40000000u | ((uint32_t)acc & 0x80000000u);
  int32_t hi = r->k_hi + (acc >> 31);
  __asm__("smlal %0, %1, %2, %3" : "+r"(lo), "+r"(hi) : "r"(acc), "r"(r->mult));
  return hi >> r->shift;
}

/* Requantize and clamp to the activation range (within int8). */
static inline int32_t tfedge_dsp_out(int32_t acc, const tfedge_requant_ch *r, int32_t act_min, int32_t act_max) {
  int32_t v = __ssat(tfedge_dsp_requant(acc, r), 8);
  v = v < act_min ? act_min : v;
  return v > act_max ? act_max : v;
}

/* Any record: the one-SMLAL form, or for a channel marked TFEDGE_RQ_GENERAL TFLM's two-step
 * MultiplyByQuantizedMultiplier (k_hi holds its shift; left shifts too) + output_offset (zp), as TFLM wraps. */
static __attribute__((noinline, unused)) int32_t tfedge_dsp_requant_general(int32_t acc, int32_t mult, int32_t shift,
                                                                          int32_t zp) {
  return tfedge_add_wrap(tfedge_mbqm(acc, mult, shift), zp); /* out of line: rare channels, one copy per kernel */
}

static inline int32_t tfedge_dsp_requant_any(int32_t acc, const tfedge_requant_ch *r, int32_t zp) {
  if (r->shift >= TFEDGE_RQ_GENERAL) return tfedge_dsp_requant_general(acc, r->mult, r->k_hi, zp);
  return tfedge_dsp_requant(acc, r);
}

/* tfedge_dsp_out for any record (general: the layer has TFEDGE_RQ_GENERAL channels). */
static inline int32_t tfedge_dsp_out_any(int32_t acc, const tfedge_requant_ch *r, int general, int32_t zp,
                                         int32_t act_min, int32_t act_max) {
  int32_t v = __ssat(general ? tfedge_dsp_requant_any(acc, r, zp) : tfedge_dsp_requant(acc, r), 8);
  v = v < act_min ? act_min : v;
  return v > act_max ? act_max : v;
}

/* Writes n_px pixels of a layer with constant channels: each pixel's out_c bytes from const_row, then the
 * live_c computed values (vals, live_c per pixel) at their channels live_map. */
static inline void tfedge_dsp_scatter(const int8_t *const_row, const uint16_t *live_map, int32_t out_c, int32_t live_c,
                                      const int8_t *vals, int8_t *out, int32_t n_px) {
  int32_t px, j;
  for (px = 0; px < n_px; ++px, vals += live_c, out += out_c) {
    memcpy(out, const_row, (size_t)out_c);
    for (j = 0; j < live_c; ++j) out[live_map[j]] = vals[j];
  }
}

/* The depthwise band path (depthwise_conv_packed_s8_nhwc.c): channel groups widened at a time, as many as fit
 * TFEDGE_DW_BAND_BYTES (k_h rows x (pad_left + in_w + right padding) entries x 8 B each), at least one; windows up
 * to TFEDGE_DW_BAND_K x TFEDGE_DW_BAND_K. variants.dw_band_bytes agrees. */
#define TFEDGE_DW_BAND_BYTES 1024
#define TFEDGE_DW_BAND_K 7
/* FULLY_CONNECTED: inputs widened at a time when the input is longer (scratch: 2 B each, then 4 B per computed
 * row for the accumulators); variants.FC_BLOCK agrees. */
#define TFEDGE_FC_BLOCK 128
static inline int32_t tfedge_dw_band_chunk(int32_t group_bytes, int32_t groups) {
  const int32_t fit = TFEDGE_DW_BAND_BYTES / group_bytes;
  return fit < 1 ? 1 : fit > groups ? groups : fit;
}
/* The band's zero columns right of the image: as many as the last window reaches past it. */
static inline int32_t tfedge_dw_band_pad_right(int32_t in_w, int32_t k_w, int32_t stride_w, int32_t pad_left,
                                               int32_t out_w) {
  const int32_t over = (out_w - 1) * stride_w + k_w - pad_left - in_w;
  return over > 0 ? over : 0;
}

/* Packs 4 int8 results into one little-endian word. */
static inline uint32_t tfedge_pack4(int32_t a, int32_t b, int32_t c, int32_t d) {
  return ((uint32_t)a & 0xffu) | (((uint32_t)b & 0xffu) << 8) | (((uint32_t)c & 0xffu) << 16) | ((uint32_t)d << 24);
}

#endif /* TFEDGE_DSP_H */
