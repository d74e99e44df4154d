"""Helium (mve/) kernels vs the portable kernels, kernel by kernel, on the emulated Cortex-M55.

One firmware links the architecture's kernels AND the portable ones (renamed ref_*), draws thousands of
random shapes and parameters (odd channel counts, strides, dilation, padding, depth multipliers, 1-pixel
maps, left shifts, clamps, inputs at -128), runs both on the same data and compares every output byte.
The portable kernels are themselves bit-exact with TFLM (tests/test_compiler_*.py), so equal bytes here
mean bit-exact with TFLM. `differential()` is shared with the Cortex-M0 (armv6m/) test.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tfedge.boards import load_board
from tfedge.build.firmware import build_firmware
from tfedge.compiler import ARCH_PATHS, runtime_sources
from tfedge.emulate.qemu import run_firmware
from tfedge.paths import RUNTIME_DIR

pytestmark = pytest.mark.qemu

# The kernels the harness compares (portable name = arch name).
KERNELS = ("conv_s8_nhwc", "conv_s8_nhwc_c4", "depthwise_conv_s8_nhwc", "depthwise_conv_s8_nhwc_c4", "fully_connected_s8",
           "fully_connected_s8_c4", "avg_pool_s8", "max_pool_s8", "add_s8", "mul_s8", "lut_s8", "mean_s8")

HARNESS_C = r"""
#include <stdint.h>
#include <string.h>
#include "console.h"
#include "tfedge_kernels.h"
#if defined(__ARM_FEATURE_MVE)
#include "tfedge_mve.h"
#endif

void ref_conv_s8_nhwc(const tfedge_conv_params *p, const int8_t *input, int8_t *output);
void ref_conv_s8_nhwc_c4(const tfedge_conv_params *p, const int8_t *input, int8_t *output);
void ref_depthwise_conv_s8_nhwc_c4(const tfedge_conv_params *p, const int8_t *input, int8_t *output);
void ref_fully_connected_s8_c4(const tfedge_fc_params *p, const int8_t *input, int8_t *output);
void ref_depthwise_conv_s8_nhwc(const tfedge_conv_params *p, const int8_t *input, int8_t *output);
void ref_fully_connected_s8(const tfedge_fc_params *p, const int8_t *input, int8_t *output);
void ref_avg_pool_s8(const tfedge_pool_params *p, const int8_t *input, int8_t *output);
void ref_max_pool_s8(const tfedge_pool_params *p, const int8_t *input, int8_t *output);
void ref_add_s8(const tfedge_binary_params *p, const int8_t *a, const int8_t *b, int8_t *output);
void ref_mul_s8(const tfedge_binary_params *p, const int8_t *a, const int8_t *b, int8_t *output);
void ref_lut_s8(const tfedge_lut_params *p, const int8_t *input, int8_t *output);
void ref_mean_s8(const tfedge_reduce_params *p, const int8_t *input, int8_t *output);

static uint32_t rng = 0x12345678u;
static uint32_t next(void) { rng ^= rng << 13; rng ^= rng >> 17; rng ^= rng << 5; return rng; }
static int32_t rnd(int32_t lo, int32_t hi) { return lo + (int32_t)(next() % (uint32_t)(hi - lo + 1)); }
/* int8 data with the extremes over-represented */
static int8_t rnd_i8(void) { uint32_t r = next() % 16u; return r == 0 ? -128 : r == 1 ? 127 : (int8_t)next(); }

static int8_t in_a[MAX_IN], in_b[MAX_IN], weights[MAX_W], out_ref[MAX_OUT + 16], out_arch[MAX_OUT + 16];
static int32_t bias[MAX_C], mult[MAX_C], shift[MAX_C];
static uint32_t failures, cases;

static void fill(int8_t *d, int32_t n, int weights_range) {
  int32_t i;
  for (i = 0; i < n; ++i) d[i] = weights_range ? (int8_t)rnd(-127, 127) : rnd_i8();
}

static void quant(int32_t n, int allow_left) {
  int32_t i;
  /* half the cases without any left shift: the kernels take their usual (no left shift) paths for those */
  allow_left = allow_left && next() % 2u;
  for (i = 0; i < n; ++i) {
    mult[i] = (next() % 8u == 0) ? (int32_t)(next() | 0x40000000u) & 0x7fffffff : rnd(1 << 30, 0x7fffffff);
    shift[i] = allow_left && next() % 4u == 0 ? rnd(1, 3) : rnd(-14, 0);
    /* dead channels of trained models: tiny multipliers (2^-15 .. 2^-31), or 0 (TFLite's shift < -31) */
    if (next() % 8u == 0) shift[i] = rnd(-31, -15);
    if (next() % 32u == 0) mult[i] = 0, shift[i] = 0;
    bias[i] = rnd(-70000, 70000);
  }
}

static void act(int32_t *lo, int32_t *hi) {
  if (next() % 3u) { *lo = -128; *hi = 127; } else { *lo = rnd(-128, 0); *hi = rnd(*lo, 127); }
}

/* runs both and compares n output bytes; out_arch has guard bytes after n that must stay untouched */
static void check(const char *what, int32_t n, uint32_t seed) {
  int32_t i;
  ++cases;
  for (i = n; i < n + 16; ++i) if (out_arch[i] != (int8_t)0x5a) break;
  if (i < n + 16 || memcmp(out_ref, out_arch, (size_t)n) != 0) {
    ++failures;
    if (failures <= 10) {
      console_puts("MISMATCH "); console_puts(what); console_puts(" seed "); console_put_hex(seed);
      for (i = 0; i < n && out_ref[i] == out_arch[i]; ++i) {}
      console_puts(" at "); console_put_u32((uint32_t)i); console_puts("\n");
    }
  }
}

static void prep_out(int32_t n) { memset(out_ref, 0, (size_t)n + 16); memset(out_arch, 0x5a, (size_t)n + 16); }

/* Half the conv/depthwise cases get the compile-time prepared data of tfedge/compiler/variants_mve.py
 * (arch_prep), built here the same way: [window flag][effective bias per channel][depthwise window weight
 * vectors], the flag drawn at random where the window geometry allows it (the kernel checks the rest). */
#if defined(__ARM_FEATURE_MVE)
static int32_t prep[1 + MAX_C + 4 * 4 * MAX_C]; /* <= 4 groups of 16 bytes per channel */
static const int32_t *make_prep(const tfedge_conv_params *p, int depthwise) {
  const int32_t K = p->k_h * p->k_w * (depthwise ? 1 : p->in_c);
  int8_t *wp = (int8_t *)(prep + 1 + p->out_c);
  int32_t oc, k, ky, kx, R, G;
  if (next() % 2u) return 0;
  prep[0] = 0;
  for (oc = 0; oc < p->out_c; ++oc) {
    int32_t sum = 0;
    for (k = 0; k < K; ++k) sum += depthwise ? p->weights[k * p->out_c + oc] : p->weights[oc * K + k];
    prep[1 + oc] = (int32_t)((uint32_t)(p->bias ? p->bias[oc] : 0) + (uint32_t)p->input_offset * (uint32_t)sum);
  }
  if (!depthwise || p->dil_w != 1 || p->k_w > 16) return prep;
  R = p->k_h < 16 / p->k_w ? p->k_h : 16 / p->k_w;
  G = (p->k_h + R - 1) / R;
  if (G > 4 || next() % 4u == 0) return prep; /* flag 0: the kernel's other paths with the prepared bias */
  prep[0] = 1;
  memset(wp, 0, (size_t)(p->out_c * G * 16));
  for (oc = 0; oc < p->out_c; ++oc)
    for (ky = 0; ky < p->k_h; ++ky)
      for (kx = 0; kx < p->k_w; ++kx)
        wp[(oc * G + ky / R) * 16 + kx * R + ky % R] = p->weights[(ky * p->k_w + kx) * p->out_c + oc];
  return prep;
}
#else
static const int32_t *make_prep(const tfedge_conv_params *p, int depthwise) { (void)p; (void)depthwise; return 0; }
#endif

/* > 0: 3x3 windows over 16 * (1 .. k3_c16) input channels (K a multiple of 144: the assembly channel loop) */
static int32_t k3_c16;
/* > 0: first layers, 2-5 x 3 windows over 1 .. first_c input channels, no dilation (kernel rows of <= 16
 * bytes: the weights-stationary short-row columns, their border pixels and the image's last rows) */
static int32_t first_c;
/* != 0: 4-6 x 5 windows at stride_w 1 (the depthwise window path's 2-group, step-3 channel loop) */
static int32_t k5_s1;
/* > 0: 1x1 stride-1 windows over 16 * (1 .. in16), 8 or 1 .. 8 input channels (weights stationary read in place
 * or copied in 8-byte columns, two pixels per load: the groups of 4 pixels and the last 1-3 pixels' group, ws_tail) */
static int32_t in16;

static int conv_geometry(tfedge_conv_params *p, int32_t max_c, int32_t max_hw) {
  int32_t eff_h, eff_w, pad_h, pad_w;
  memset(p, 0, sizeof *p); /* optional fields (prepared data, clustered weights) absent */
  p->batches = next() % 8u == 0 ? 2 : 1;
  p->in_h = rnd(1, max_hw); p->in_w = rnd(1, max_hw);
  p->k_h = rnd(1, 4); p->k_w = rnd(1, 4);
  if (next() % 4u == 0) p->k_h = 1;
  if (next() % 8u == 0) { p->k_h = rnd(1, p->in_h); p->k_w = rnd(1, p->in_w); } /* large windows (KWS: 10x4) */
  if (k3_c16) p->k_h = p->k_w = 3;
  if (first_c) p->k_h = rnd(2, 5), p->k_w = 3;
  p->stride_h = rnd(1, 3); p->stride_w = rnd(1, 3);
  if (k5_s1) p->k_h = rnd(4, 6), p->k_w = 5, p->stride_w = 1;
  if (in16) p->k_h = p->k_w = p->stride_h = p->stride_w = 1;
  p->dil_h = next() % 4u == 0 ? 2 : 1; p->dil_w = next() % 4u == 0 ? 2 : 1;
  if (first_c) p->dil_w = 1;
  if (k5_s1) p->dil_w = 1;
  eff_h = (p->k_h - 1) * p->dil_h + 1; eff_w = (p->k_w - 1) * p->dil_w + 1;
  pad_h = next() % 2u ? eff_h - 1 : 0; pad_w = next() % 2u ? eff_w - 1 : 0;   /* SAME-like or VALID */
  if (p->in_h + pad_h < eff_h || p->in_w + pad_w < eff_w) return 0;
  p->pad_top = pad_h / 2; p->pad_left = pad_w / 2;
  p->out_h = (p->in_h + pad_h - eff_h) / p->stride_h + 1;
  p->out_w = (p->in_w + pad_w - eff_w) / p->stride_w + 1;
  p->in_c = k3_c16 ? 16 * rnd(1, k3_c16) : in16 ? (next() % 3u == 0 ? rnd(1, 8) : next() % 4u == 0 ? 8 : 16 * rnd(1, in16)) : first_c ? rnd(1, first_c) : rnd(1, max_c);
  p->input_offset = rnd(-127, 128); p->output_offset = rnd(-128, 127);
  act(&p->act_min, &p->act_max);
  return 1;
}

static void test_conv(int32_t n_cases, int32_t max_c, int32_t max_hw) {
  int32_t t;
  for (t = 0; t < n_cases; ++t) {
    tfedge_conv_params p;
    uint32_t seed = rng;
    int32_t n_in, n_w, n_out;
    if (!conv_geometry(&p, max_c, max_hw)) continue;
    p.out_c = rnd(1, MAX_C);
    p.depth_multiplier = 1;
    n_in = p.batches * p.in_h * p.in_w * p.in_c; n_w = p.out_c * p.k_h * p.k_w * p.in_c;
    n_out = p.batches * p.out_h * p.out_w * p.out_c;
    if (n_in > MAX_IN || n_w > MAX_W || n_out > MAX_OUT) continue;
    fill(in_a, n_in, 0); fill(weights, n_w, 1); quant(p.out_c, 1);
    p.weights = weights; p.bias = next() % 4u ? bias : 0; p.mult = mult; p.shift = shift;
    p.arch_prep = make_prep(&p, 0);
    prep_out(n_out);
    ref_conv_s8_nhwc(&p, in_a, out_ref); conv_s8_nhwc(&p, in_a, out_arch);
    check("conv", n_out, seed);
  }
}

static __attribute__((unused)) void test_conv_k144(int32_t n_cases) { k3_c16 = 4; test_conv(n_cases, 64, 8); k3_c16 = 0; }
static __attribute__((unused)) void test_conv_first(int32_t n_cases) { first_c = 5; test_conv(n_cases, 5, 24); first_c = 0; }
static __attribute__((unused)) void test_conv_1x1_in16(int32_t n_cases) { in16 = 4; test_conv(n_cases, 64, 9); in16 = 0; }

/* mve/conv_narrow_s8_nhwc.c called directly over its whole range (conv_s8_nhwc sends it only the shapes where it
 * wins): in_c 1..8, out_c 1..8, 1x1 and 2-3 x 1-3 windows (K <= 32), strides 1-3, dil_h 1-2, padding, odd sizes, dead
 * channels (quant), half the cases with the prepared window-order weights (arch_prep word 0 = 1, as
 * variants_mve.conv_data), a quarter with arch_prep's eb only, the rest with neither. */
#if defined(__ARM_FEATURE_MVE)
static int32_t nprep[1 + 8 + 8 * 8];
static void test_conv_narrow(int32_t n_cases) {
  int32_t t;
  for (t = 0; t < n_cases; ++t) {
    tfedge_conv_params p;
    uint32_t seed = rng;
    int32_t n_in, n_out, eff_h, pad_h, pad_w, K, oc, kx, ky, c, S;
    memset(&p, 0, sizeof p);
    p.batches = next() % 8u == 0 ? 2 : 1;
    p.in_c = rnd(1, 8);
    p.k_h = next() % 3u == 0 ? 1 : rnd(2, 3); p.k_w = p.k_h == 1 && next() % 2u ? 1 : rnd(1, 3);
    if (p.k_h * p.k_w * p.in_c > 32) continue;
    p.in_h = rnd(1, 20); p.in_w = rnd(p.k_w, 40);
    p.stride_h = rnd(1, 3); p.stride_w = rnd(1, 3); p.dil_h = next() % 4u == 0 ? 2 : 1; p.dil_w = 1;
    eff_h = (p.k_h - 1) * p.dil_h + 1;
    pad_h = next() % 2u ? eff_h - 1 : 0; pad_w = next() % 2u ? p.k_w - 1 : 0;
    if (p.in_h + pad_h < eff_h) continue;
    p.pad_top = pad_h / 2; p.pad_left = pad_w / 2;
    p.out_h = (p.in_h + pad_h - eff_h) / p.stride_h + 1; p.out_w = (p.in_w + pad_w - p.k_w) / p.stride_w + 1;
    p.out_c = rnd(1, 8); p.depth_multiplier = 1;
    p.input_offset = rnd(-127, 128); p.output_offset = rnd(-128, 127);
    act(&p.act_min, &p.act_max);
    K = p.k_h * p.k_w * p.in_c;
    n_in = p.batches * p.in_h * p.in_w * p.in_c; n_out = p.batches * p.out_h * p.out_w * p.out_c;
    if (n_in > MAX_IN || n_out > MAX_OUT || (p.out_w - 1) * p.stride_w + p.k_w > 2048 / (p.k_h * p.in_c)) continue;
    fill(in_a, n_in, 0); fill(weights, p.out_c * K, 1); quant(p.out_c, 1);
    p.weights = weights; p.bias = next() % 4u ? bias : 0; p.mult = mult; p.shift = shift;
    p.arch_prep = make_prep(&p, 0); /* [0][eb] or none */
    if (p.arch_prep && next() % 4u) { /* [1][eb][window-order rows of 16 S bytes] */
      int8_t *wn = (int8_t *)(nprep + 1 + p.out_c);
      S = K > 16 ? 2 : 1;
      memcpy(nprep, prep, (size_t)(1 + p.out_c) * 4);
      nprep[0] = 1;
      memset(wn, 0, (size_t)(p.out_c * 16 * S));
      for (oc = 0; oc < p.out_c; ++oc)
        for (kx = 0; kx < p.k_w; ++kx)
          for (ky = 0; ky < p.k_h; ++ky)
            for (c = 0; c < p.in_c; ++c)
              wn[oc * 16 * S + (kx * p.k_h + ky) * p.in_c + c] = weights[oc * K + (ky * p.k_w + kx) * p.in_c + c];
      p.arch_prep = nprep;
    }
    prep_out(n_out);
    ref_conv_s8_nhwc(&p, in_a, out_ref); tfedge_mve_conv_narrow(&p, in_a, out_arch);
    check("conv_narrow", n_out, seed);
  }
}
#else
static void test_conv_narrow(int32_t n_cases) { (void)n_cases; }
#endif

/* clustered weights: 4-bit indices (rows byte-padded) into per-channel or per-layer codebooks */
static uint8_t indices[MAX_W / 2 + MAX_C];
static int8_t codebook[16 * MAX_C];

static void c4_data(int32_t rows, int32_t row_len) {
  int32_t i;
  for (i = 0; i < rows * ((row_len + 1) / 2); ++i) indices[i] = (uint8_t)next();
  fill(codebook, 16 * rows, 1);
}

static void test_conv_c4(int32_t n_cases, int32_t max_c, int32_t max_hw, int depthwise) {
  int32_t t;
  for (t = 0; t < n_cases; ++t) {
    tfedge_conv_params p;
    uint32_t seed = rng;
    int32_t n_in, K, n_out;
    if (!conv_geometry(&p, max_c, max_hw)) continue;
    p.depth_multiplier = depthwise && next() % 4u == 0 ? 2 : 1;
    p.out_c = depthwise ? p.in_c * p.depth_multiplier : rnd(1, MAX_C);
    K = p.k_h * p.k_w * (depthwise ? 1 : p.in_c);
    n_in = p.batches * p.in_h * p.in_w * p.in_c;
    n_out = p.batches * p.out_h * p.out_w * p.out_c;
    if (p.out_c > MAX_C || n_in > MAX_IN || K > TFEDGE_C4_MAX_K || p.out_c * ((K + 1) / 2) > (int32_t)sizeof indices ||
        n_out > MAX_OUT) continue;
    fill(in_a, n_in, 0); quant(p.out_c, 1); c4_data(p.out_c, K);
    p.weights = 0; p.bias = next() % 4u ? bias : 0; p.mult = mult; p.shift = shift;
    p.indices = indices; p.codebook = codebook; p.codebook_stride = next() % 2u ? 16 : 0;
    prep_out(n_out);
    if (depthwise) {
      ref_depthwise_conv_s8_nhwc_c4(&p, in_a, out_ref); depthwise_conv_s8_nhwc_c4(&p, in_a, out_arch);
      check("depthwise_c4", n_out, seed);
    } else {
      ref_conv_s8_nhwc_c4(&p, in_a, out_ref); conv_s8_nhwc_c4(&p, in_a, out_arch);
      check("conv_c4", n_out, seed);
    }
  }
}

static void test_fc_c4(int32_t n_cases, int32_t max_in) {
  int32_t t;
  for (t = 0; t < n_cases; ++t) {
    tfedge_fc_params p;
    uint32_t seed = rng;
    int32_t n_out;
    memset(&p, 0, sizeof p);
    p.batches = rnd(1, 3); p.in_features = rnd(1, max_in); p.out_features = rnd(1, MAX_C);
    n_out = p.batches * p.out_features;
    if (p.batches * p.in_features > MAX_IN || p.out_features * ((p.in_features + 1) / 2) > (int32_t)sizeof indices ||
        n_out > MAX_OUT) continue;
    p.per_channel = (int32_t)(next() % 2u);
    p.output_offset = rnd(-128, 127);
    act(&p.act_min, &p.act_max);
    fill(in_a, p.batches * p.in_features, 0); quant(p.out_features, 1); c4_data(p.out_features, p.in_features);
    p.bias = bias; p.mult = mult; p.shift = shift;
    p.indices = indices; p.codebook = codebook; p.codebook_stride = next() % 2u ? 16 : 0;
    prep_out(n_out);
    ref_fully_connected_s8_c4(&p, in_a, out_ref); fully_connected_s8_c4(&p, in_a, out_arch);
    check("fully_connected_c4", n_out, seed);
  }
}

/* Random data for a depthwise geometry in p (when it fits the buffers), both kernels, compared. */
static void depthwise_case(tfedge_conv_params *p, const char *what, uint32_t seed) {
  const int32_t n_in = p->batches * p->in_h * p->in_w * p->in_c, n_w = p->out_c * p->k_h * p->k_w;
  const int32_t n_out = p->batches * p->out_h * p->out_w * p->out_c;
  if (p->out_c > MAX_C || n_in > MAX_IN || n_w > MAX_W || n_out > MAX_OUT) return;
  fill(in_a, n_in, 0); fill(weights, n_w, 1); quant(p->out_c, 1);
  if (next() % 4u == 0) { /* an all-zero filter (pruned channel) */
    const int32_t oc = rnd(0, p->out_c - 1);
    int32_t t;
    for (t = 0; t < p->k_h * p->k_w; ++t) weights[t * p->out_c + oc] = 0;
  }
  p->weights = weights; p->bias = next() % 4u ? bias : 0; p->mult = mult; p->shift = shift;
  p->arch_prep = make_prep(p, 1);
  prep_out(n_out);
  ref_depthwise_conv_s8_nhwc(p, in_a, out_ref); depthwise_conv_s8_nhwc(p, in_a, out_arch);
  check(what, n_out, seed);
}

static void test_depthwise(int32_t n_cases, int32_t max_c, int32_t max_hw) {
  int32_t t;
  for (t = 0; t < n_cases; ++t) {
    tfedge_conv_params p;
    uint32_t seed = rng;
    if (!conv_geometry(&p, max_c, max_hw)) continue;
    p.depth_multiplier = next() % 4u == 0 ? rnd(2, 3) : 1;
    if (next() % 8u == 0) p.in_c = rnd(1, 2), p.depth_multiplier = rnd(4, 8); /* audio: 1 channel, multiplier 8 */
    p.out_c = p.in_c * p.depth_multiplier;
    depthwise_case(&p, "depthwise", seed);
  }
}

static __attribute__((unused)) void test_depthwise_k5(int32_t n_cases) { k5_s1 = 1; test_depthwise(n_cases, 24, 16); k5_s1 = 0; }

/* != 0: stride_w 2 and stride_h 1-2 (the ring's stride-2 passes) */
static int32_t dw3_stride2;

/* 3x3, stride 1, dilation 1, depth multiplier 1, channels % 4 == 0: the Helium kernel's padded-row path,
 * with every padding from 0 to 2 on each side (the in-place row loop passes shifted pad_top values). */
static void test_depthwise3x3(int32_t n_cases, int32_t max_c, int32_t max_hw) {
  int32_t t;
  for (t = 0; t < n_cases; ++t) {
    tfedge_conv_params p;
    uint32_t seed = rng;
    int32_t pad_bottom, pad_right;
    memset(&p, 0, sizeof p);
    p.batches = next() % 8u == 0 ? 2 : 1;
    p.in_h = rnd(1, max_hw); p.in_w = rnd(1, max_hw);
    p.k_h = p.k_w = 3; p.stride_h = p.stride_w = 1; p.dil_h = p.dil_w = 1; p.depth_multiplier = 1;
    p.pad_top = rnd(0, 2); p.pad_left = rnd(0, 2); pad_bottom = rnd(0, 2); pad_right = rnd(0, 2);
    if (dw3_stride2) p.stride_h = rnd(1, 2), p.stride_w = 2;
    if (p.in_h + p.pad_top + pad_bottom < 3 || p.in_w + p.pad_left + pad_right < 3) continue;
    p.out_h = (p.in_h + p.pad_top + pad_bottom - 3) / p.stride_h + 1;
    p.out_w = (p.in_w + p.pad_left + pad_right - 3) / p.stride_w + 1;
    p.in_c = p.out_c = 4 * rnd(1, max_c / 4);
    p.input_offset = rnd(-127, 128); p.output_offset = rnd(-128, 127);
    act(&p.act_min, &p.act_max);
    depthwise_case(&p, "depthwise3x3", seed);
  }
}

static __attribute__((unused)) void test_depthwise3x3_s2(int32_t n_cases, int32_t max_c, int32_t max_hw) {
  dw3_stride2 = 1; test_depthwise3x3(n_cases, max_c, max_hw); dw3_stride2 = 0;
}

/* Small maps (outputs 1x1 .. 6x6, in-place layers' one-row calls among them): square 3x3 / 5x5 / 7x7 windows at
 * strides 1-2, no dilation, SAME or VALID padding, mostly whole 4-channel groups (the window path's loops of 4
 * channels as lanes, MVE_DW_LANES3 / LANES6 / LANES_G2) and some odd counts and depth multipliers 2 (the
 * per-channel loops); quant() draws left shifts (multipliers > 1) in half the cases. */
static void test_depthwise_small(int32_t n_cases) {
  tfedge_conv_params p;
  for (; n_cases > 0; --n_cases) {
    const uint32_t seed = rng;
    int32_t pad;
    memset(&p, 0, sizeof p);
    p.k_h = p.k_w = 2 * rnd(1, 3) + 1;
    p.batches = next() % 8u == 0 ? 2 : 1;
    p.stride_h = rnd(1, 2); p.stride_w = rnd(1, 2); p.dil_h = p.dil_w = 1;
    pad = next() % 4u ? p.k_h - 1 : 0; /* SAME-like or VALID */
    p.out_h = rnd(1, 6); p.out_w = rnd(1, 6);
    p.in_h = (p.out_h - 1) * p.stride_h + p.k_h - pad; p.in_w = (p.out_w - 1) * p.stride_w + p.k_w - pad;
    if (p.in_h < 1 || p.in_w < 1) continue;
    p.pad_top = next() % 4u ? pad / 2 : rnd(0, pad); p.pad_left = next() % 4u ? pad / 2 : rnd(0, pad);
    p.depth_multiplier = next() % 8u == 0 ? 2 : 1;
    p.in_c = next() % 4u ? 4 * rnd(1, 10) : rnd(1, 40);
    p.out_c = p.in_c * p.depth_multiplier;
    p.input_offset = rnd(-127, 128); p.output_offset = rnd(-128, 127);
    act(&p.act_min, &p.act_max);
    depthwise_case(&p, "depthwise_small", seed);
  }
}

static void test_fc(int32_t n_cases, int32_t max_in) {
  int32_t t;
  for (t = 0; t < n_cases; ++t) {
    tfedge_fc_params p;
    uint32_t seed = rng;
    int32_t n_w, n_out;
    memset(&p, 0, sizeof p);
    p.batches = rnd(1, 3); p.in_features = rnd(1, max_in); p.out_features = rnd(1, MAX_C);
    n_w = p.in_features * p.out_features; n_out = p.batches * p.out_features;
    if (p.batches * p.in_features > MAX_IN || n_w > MAX_W || n_out > MAX_OUT) continue;
    p.per_channel = (int32_t)(next() % 2u);
    p.output_offset = rnd(-128, 127);
    act(&p.act_min, &p.act_max);
    fill(in_a, p.batches * p.in_features, 0); fill(weights, n_w, 1); quant(p.out_features, 1);
    p.weights = weights; p.bias = bias; p.mult = mult; p.shift = shift;
    prep_out(n_out);
    ref_fully_connected_s8(&p, in_a, out_ref); fully_connected_s8(&p, in_a, out_arch);
    check("fully_connected", n_out, seed);
  }
}

static void test_pool(int32_t n_cases, int32_t max_c, int32_t max_hw, int is_max) {
  int32_t t;
  for (t = 0; t < n_cases; ++t) {
    tfedge_pool_params p;
    uint32_t seed = rng;
    int32_t pad_h, pad_w, n_in, n_out;
    p.batches = next() % 8u == 0 ? 2 : 1;
    p.in_h = rnd(1, max_hw); p.in_w = rnd(1, max_hw); p.channels = rnd(1, max_c);
    p.k_h = rnd(1, 4); p.k_w = rnd(1, 4); p.stride_h = rnd(1, 3); p.stride_w = rnd(1, 3);
    if (next() % 4u == 0) { p.k_h = p.in_h; p.k_w = p.in_w; p.stride_h = p.stride_w = 1; } /* global pooling */
    pad_h = next() % 2u ? p.k_h - 1 : 0; pad_w = next() % 2u ? p.k_w - 1 : 0;
    if (p.in_h + pad_h < p.k_h || p.in_w + pad_w < p.k_w) continue;
    p.pad_top = pad_h / 2; p.pad_left = pad_w / 2;
    p.out_h = (p.in_h + pad_h - p.k_h) / p.stride_h + 1; p.out_w = (p.in_w + pad_w - p.k_w) / p.stride_w + 1;
    act(&p.act_min, &p.act_max);
    n_in = p.batches * p.in_h * p.in_w * p.channels; n_out = p.batches * p.out_h * p.out_w * p.channels;
    if (n_in > MAX_IN || n_out > MAX_OUT) continue;
    fill(in_a, n_in, 0);
    prep_out(n_out);
    if (is_max) { ref_max_pool_s8(&p, in_a, out_ref); max_pool_s8(&p, in_a, out_arch); check("max_pool", n_out, seed); }
    else { ref_avg_pool_s8(&p, in_a, out_ref); avg_pool_s8(&p, in_a, out_arch); check("avg_pool", n_out, seed); }
  }
}

/* ADD (mul = 0) or MUL (mul = 1) with broadcasting */
static void test_binary(int32_t n_cases, int mul) {
  int32_t t, d;
  for (t = 0; t < n_cases; ++t) {
    tfedge_binary_params p;
    uint32_t seed = rng;
    /* bcast 3: one input a single value broadcast to all (input 2, or input 1 with scalar1) */
    int32_t s1 = 1, s2 = 1, n_out = 1, bcast = (int32_t)(next() % 4u), scalar1 = (int32_t)(next() % 2u);
    for (d = 3; d >= 0; --d) {
      p.dims[d] = d == 3 ? rnd(1, 40) : rnd(1, 4);
      p.in1_strides[d] = s1; p.in2_strides[d] = s2;
      if ((bcast == 1 && next() % 2u) || (bcast == 3 && !scalar1)) p.in2_strides[d] = 0; else s2 *= p.dims[d];
      if ((bcast == 2 && d < 3 && next() % 2u) || (bcast == 3 && scalar1)) p.in1_strides[d] = 0; else s1 *= p.dims[d];
      n_out *= p.dims[d];
    }
    if (n_out > MAX_OUT || s1 > MAX_IN || s2 > MAX_IN) continue;
    p.input1_offset = rnd(-127, 128); p.input2_offset = rnd(-127, 128); p.output_offset = rnd(-128, 127);
    p.left_shift = 20;
    p.input1_mult = rnd(1 << 30, 0x7fffffff); p.input1_shift = rnd(-8, 0);
    p.input2_mult = rnd(1 << 30, 0x7fffffff); p.input2_shift = rnd(-8, 0);
    p.output_mult = rnd(1 << 30, 0x7fffffff); p.output_shift = mul ? rnd(-14, -1) : rnd(-22, -14);
    if (next() % 8u == 0) { /* positive shifts (multipliers >= 1): left shifts that may wrap */
      p.input1_shift = rnd(0, 3); p.input2_shift = rnd(0, 3); p.output_shift = rnd(-3, 2);
    }
    if (!mul && next() % 3u == 0) { /* TFLM's ADD quantization: the larger input scale gives 2^30, shift 0 */
      int32_t half = (int32_t)(next() % 3u); /* 0, 1: that input only, 2: both (equal scales) */
      if (half != 1) p.input1_mult = 1 << 30, p.input1_shift = 0;
      if (half != 0) p.input2_mult = 1 << 30, p.input2_shift = 0;
      p.output_shift = rnd(-22, -14);
    }
    act(&p.act_min, &p.act_max);
    fill(in_a, s1, 0); fill(in_b, s2, 0);
    prep_out(n_out);
    if (mul) { ref_mul_s8(&p, in_a, in_b, out_ref); mul_s8(&p, in_a, in_b, out_arch); check("mul", n_out, seed); }
    else { ref_add_s8(&p, in_a, in_b, out_ref); add_s8(&p, in_a, in_b, out_arch); check("add", n_out, seed); }
  }
}

static void test_add(int32_t n_cases) { test_binary(n_cases, 0); }
static __attribute__((unused)) void test_mul(int32_t n_cases) { test_binary(n_cases, 1); }

/* A 256-entry table (HARD_SWISH, ABS, GELU, ...): random tables and sizes (tails of 1-15), in place half the time */
static __attribute__((unused)) void test_lut(int32_t n_cases) {
  static int8_t table[256];
  int32_t t;
  for (t = 0; t < n_cases; ++t) {
    tfedge_lut_params p;
    uint32_t seed = rng;
    p.size = next() % 2u ? rnd(1, 600) : rnd(1, MAX_OUT);
    fill(table, 256, 0);
    p.table = table;
    fill(in_a, p.size, 0);
    prep_out(p.size);
    ref_lut_s8(&p, in_a, out_ref);
    if (next() % 2u) { memcpy(out_arch, in_a, (size_t)p.size); lut_s8(&p, out_arch, out_arch); }
    else lut_s8(&p, in_a, out_arch);
    check("lut", p.size, seed);
  }
}

/* MEAN over the middle of (outer, reduce, inner): rescaled (requant) or divided */
static __attribute__((unused)) void test_mean(int32_t n_cases) {
  int32_t t;
  for (t = 0; t < n_cases; ++t) {
    tfedge_reduce_params p;
    uint32_t seed = rng;
    int32_t zp;
    p.outer = rnd(1, 3); p.reduce = rnd(1, 50); p.inner = next() % 4u ? rnd(1, 70) : rnd(1, 3);
    if (p.outer * p.reduce * p.inner > MAX_IN || p.outer * p.inner > MAX_OUT) continue;
    zp = rnd(-128, 127);
    p.requant = (int32_t)(next() % 4u != 0);
    p.sum_offset = -zp * p.reduce;
    p.mult = rnd(1 << 30, 0x7fffffff); p.shift = rnd(-12, 1);
    p.output_zp = rnd(-128, 127);
    fill(in_a, p.outer * p.reduce * p.inner, 0);
    prep_out(p.outer * p.inner);
    ref_mean_s8(&p, in_a, out_ref); mean_s8(&p, in_a, out_arch);
    check("mean", p.outer * p.inner, seed);
  }
}

int main(void) {
  console_init();
  RUN_CASES
  console_puts("cases "); console_put_u32(cases); console_puts(" failures "); console_put_u32(failures);
  console_puts("\n");
  return 0;
}
"""

REF_C = "\n".join(f"#define {k} ref_{k}" for k in (*KERNELS, "tfedge_decode_c4")) + "\n" + "\n".join(
    f'#include "{RUNTIME_DIR / "portable" / (k + ".c")}"' for k in KERNELS) + "\n"

# Case mix and buffer sizes per board (the micro:bit has 16 KB of RAM).
PROFILES = {
    "mps3-an547": dict(MAX_IN=12000, MAX_W=90000, MAX_OUT=16000, MAX_C=80, run=(
        "test_conv(700, 40, 9); test_conv(200, 3, 20); test_conv(60, 150, 5); test_conv_k144(80); test_conv_first(150); test_conv_1x1_in16(150); test_conv_narrow(400); test_conv_c4(200, 40, 8, 0); test_conv_c4(200, 40, 8, 1); test_fc_c4(150, 300); test_fc_c4(10, 2500); test_depthwise(700, 40, 9); test_depthwise(80, 12, 24); test_depthwise_k5(120); test_depthwise3x3(400, 80, 9); test_depthwise3x3(60, 24, 20); test_depthwise3x3_s2(300, 80, 17); test_depthwise_small(400); test_fc(300, 300);"
        "test_fc(20, 1500); test_pool(300, 40, 9, 0); test_pool(300, 40, 9, 1); test_add(300); test_mul(200); test_lut(60); test_mean(200);")),
    "microbit": dict(MAX_IN=1200, MAX_W=3000, MAX_OUT=1500, MAX_C=24, run=(
        "test_conv(250, 10, 6); test_conv_c4(60, 10, 5, 0); test_conv_c4(60, 12, 5, 1); test_fc_c4(60, 120); test_depthwise(250, 12, 6); test_fc(150, 120);"
        "test_pool(100, 12, 6, 0); test_pool(100, 12, 6, 1); test_add(100);")),
}


def differential(board_name: str, arch: str, tmp_path: Path, prof: dict | None = None,
                 uses_off: tuple[str, ...] = ()) -> tuple[int, int, list[str]]:
    """Builds and runs the harness: (cases, failures, console lines). uses_off: tfedge_uses.h paths built as 0 (as a
    model.h would leave them out)."""
    board = load_board(board_name)
    assert board.kernel_arch == arch and arch in ARCH_PATHS
    prof = prof or PROFILES[board_name]
    harness = tmp_path / "harness.c"
    harness.write_text(HARNESS_C.replace("RUN_CASES", prof["run"]))
    ref = tmp_path / "ref_kernels.c"
    ref.write_text(REF_C)
    defines = [f"{k}={v}" for k, v in prof.items() if k.startswith("MAX_")] + [f"TFEDGE_MODEL_USES_{u}=0" for u in uses_off]
    fw = build_firmware(board, [harness, ref, *runtime_sources(arch)], defines=defines, with_harness=False)
    run = run_firmware(board, fw.elf, workdir=tmp_path / "run", timeout=300)
    found = [re.match(r"cases (\d+) failures (\d+)", line) for line in run.console]
    summary = [m for m in found if m]
    assert summary, "\n".join(run.console[-20:])
    return int(summary[-1].group(1)), int(summary[-1].group(2)), run.console


def test_mve_kernels_match_portable_on_random_shapes(tmp_path):
    assert any((RUNTIME_DIR / "mve" / f"{k}.c").is_file() for k in KERNELS)
    cases, failures, console = differential("mps3-an547", "mve", tmp_path)
    assert cases > 1500
    assert failures == 0, "\n".join(l for l in console if l.startswith("MISMATCH"))


# the depthwise guards a model.h may leave out: each fallback (the tap table for the ring, the window path's general
# channel loop, the per-pixel loop for calls without prepared data) must give the same exact result. (ADD's and MUL's
# general walkers have no fallback: without MVE_ADD_RUN / MVE_MUL_RUN a call that needs them traps, and model.h
# names them for every layer that does, variants_mve.binary_paths.)
DW_SPECIFIC = ("MVE_DW_LANES3", "MVE_DW_LANES6", "MVE_DW_LANES_G2", "MVE_DW_WIN_G4", "MVE_DW_WIN3", "MVE_DW_WIN6", "MVE_DW_WIN5", "MVE_DW_WIN_G1", "MVE_DW_RING3", "MVE_DW_RING4",
               "MVE_DW_RING5", "MVE_DW_RING_S2_3", "MVE_DW_RING_S2_4", "MVE_DW_RING_S2_5")


@pytest.mark.parametrize("off", [DW_SPECIFIC, ("MVE_DW_RING", "MVE_DW_WIN_ANY", "MVE_DW_UNPREP", *DW_SPECIFIC)])
def test_mve_depthwise_fallbacks_without_the_specific_paths(tmp_path, off):
    prof = dict(PROFILES["mps3-an547"], run="test_depthwise(300, 40, 9); test_depthwise_k5(60); test_depthwise3x3(200, 80, 9); "
                "test_depthwise3x3_s2(150, 80, 17); test_depthwise_small(200); test_add(150); test_mul(100);")
    cases, failures, console = differential("mps3-an547", "mve", tmp_path, prof, off)
    assert cases > 700
    assert failures == 0, "\n".join(l for l in console if l.startswith("MISMATCH"))


def test_mve_depthwise_small_maps(tmp_path):
    """The window path's loops of 4 channels as lanes (LANES3 / LANES6 / LANES_G2) and the per-channel loops beside
    them on maps of 1x1 .. 6x6 outputs: 3x3, 5x5, 7x7 at strides 1-2, padding, channels 1-40, multipliers 2,
    left shifts; each path against the portable reference."""
    prof = dict(PROFILES["mps3-an547"], run="test_depthwise_small(1500);")
    cases, failures, console = differential("mps3-an547", "mve", tmp_path, prof)
    assert cases > 1000
    assert failures == 0, "\n".join(l for l in console if l.startswith("MISMATCH"))


def test_mve_conv_without_its_assembly_loops(tmp_path):
    """A model.h without the weights-stationary assembly loops (MVE_CONV_WS1..4) leaves every K <= 64 channel
    to the C loop (ws_pixels_c, as channels with a left or zero shift take with them), and one without MVE_CONV_MM9
    the matmul's K = 144 m channels to its generic loop: still bit-exact."""
    off = ("MVE_CONV_WS1", "MVE_CONV_WS2", "MVE_CONV_WS3", "MVE_CONV_WS4", "MVE_CONV_MM9", "MVE_CONV_MM1", "MVE_CONV_MM2", "MVE_CONV_MM3")
    prof = dict(PROFILES["mps3-an547"], run="test_conv(400, 40, 9); test_conv(100, 3, 20); test_conv_first(100); test_conv_k144(60); "
                "test_conv_1x1_in16(100);")
    cases, failures, console = differential("mps3-an547", "mve", tmp_path, prof, off)
    assert cases > 300
    assert failures == 0, "\n".join(l for l in console if l.startswith("MISMATCH"))


def test_mve_conv_narrow_matches_portable(tmp_path):
    """mve/conv_narrow_s8_nhwc.c over its whole range (in_c, out_c 1..8, 1x1 and 2-3 x 1-3 windows, strides 1-3,
    padding, odd sizes, dead channels, prepared or per-call weights) against the portable conv; then the layers
    conv_s8_nhwc sends it among others (test_conv_first: 2-5 x 3 windows over 1-5 channels)."""
    prof = dict(PROFILES["mps3-an547"], run="test_conv_narrow(1500); test_conv_first(300);")
    cases, failures, console = differential("mps3-an547", "mve", tmp_path, prof)
    assert cases > 1200
    assert failures == 0, "\n".join(l for l in console if l.startswith("MISMATCH"))
