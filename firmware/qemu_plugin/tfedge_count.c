/* tfedge instruction counter: a QEMU TCG plugin (API v1, QEMU 7.2).
 *
 * Counts every executed guest instruction exactly, split into the instruction classes the cycle
 * model prices (docs/cycle_model.md), and snapshots the counters each time the guest executes
 * one of the watched marker addresses (the harness's noinline tfedge_layer_boundary /
 * tfedge_invoke_begin / tfedge_invoke_end). Python turns the snapshots into per-layer and
 * per-inference figures.
 *
 * Counting is done with inline TB-exec adds (no helper call per block), so it costs little; only
 * the marker instructions get a callback.
 *
 * Arguments (-plugin libtfedge_count.so,out=FILE,mark=ADDR[,mark=ADDR...]):
 *   out   file the snapshots and totals are written to (at exit)
 *   mark  address (hex or decimal) of a marker instruction; marks are numbered in the order given
 *
 * Output lines: "classes <name>...", then one "M <mark#> <insns> <class counts...>" per marker
 * execution, and a final "T <insns> <class counts...>".
 *
 * No qemu-plugin.h ships with Debian's QEMU, so the few API v1 declarations used are below. */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- QEMU plugin API v1 (subset) ---- */
typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op, void *ptr, uint64_t imm);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
typedef uint32_t qemu_plugin_meminfo_t;
enum qemu_plugin_mem_rw { QEMU_PLUGIN_MEM_R = 1, QEMU_PLUGIN_MEM_W, QEMU_PLUGIN_MEM_RW };
typedef void (*qemu_plugin_vcpu_mem_cb_t)(unsigned int vcpu_index, qemu_plugin_meminfo_t info, uint64_t vaddr,
                                          void *userdata);
void qemu_plugin_register_vcpu_mem_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_mem_cb_t cb,
                                      enum qemu_plugin_cb_flags flags, enum qemu_plugin_mem_rw rw, void *userdata);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb, qemu_plugin_vcpu_udata_cb_t cb,
                                          enum qemu_plugin_cb_flags flags, void *userdata);
unsigned int qemu_plugin_mem_size_shift(qemu_plugin_meminfo_t info);
_Bool qemu_plugin_mem_is_store(qemu_plugin_meminfo_t info);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

/* ---- instruction classes (keep in sync with tfedge/emulate/cycles.py CLASSES) ---- */
enum {
  C_INSNS,       /* every instruction */
  C_LOAD,        /* single load (LDR*, LDRD, VLDR) not right after another single load/store */
  C_LOAD_NEXT,   /* single load right after a single load/store in the same block (pipelined on M3/M4/M33) */
  C_STORE,       /* single store */
  C_MULTI,       /* LDM/STM/PUSH/POP/VLDM/VSTM/VPUSH/VPOP (the instruction) */
  C_MULTI_REGS,  /* registers transferred by C_MULTI instructions (word registers; D regs count 2) */
  C_MUL,         /* 32-bit result multiply / MAC (MUL, MLA, SMLAxy, SMLAD, SMMUL...) */
  C_MUL64,       /* long multiply / MAC (UMULL, SMLAL, SMLALD...) */
  C_DSP,         /* SIMD / saturating data processing (SADD16, QADD, SEL, SXTB16, SSAT...) */
  C_DIV,         /* SDIV / UDIV */
  C_BRANCH,      /* unconditional branch or PC write (B, BL, BX, BLX, POP {pc}, LDR pc, TBB) */
  C_BCOND_BACK,  /* conditional branch backwards (loops: estimated taken) */
  C_BCOND_FWD,   /* conditional branch forwards, CBZ/CBNZ (estimated not taken) */
  C_FP,          /* FP arithmetic (VADD, VMUL, VMLA, VCVT, VMOV...) */
  C_FP_DIV,      /* VDIV / VSQRT */
  C_MVE,         /* Helium (MVE) vector instruction, loads/stores included */
  C_LOOP,        /* Armv8.1-M low-overhead loop (WLS, DLS, LE, LETP) */
  C_NCLASSES
};
static const char *class_names[C_NCLASSES] = {"insns", "load", "load_next", "store", "multi", "multi_regs", "mul", "mul64", "dsp",
                                              "div", "branch", "bcond_back", "bcond_fwd", "fp", "fp_div", "mve", "loop"};

static uint64_t counters[C_NCLASSES];

#define MAX_MARKS 8
static uint64_t marks[MAX_MARKS];
static int n_marks;
static FILE *out;

static int popcount16(uint32_t v) { return __builtin_popcount(v & 0xffffu); }

/* Classifies one Thumb instruction; adds to cls[] (cls[C_MULTI_REGS] may get more than 1). */
static void classify(const uint8_t *b, size_t size, uint64_t *cls) {
  uint32_t hw1 = (uint32_t)b[0] | ((uint32_t)b[1] << 8);
  cls[C_INSNS] += 1;
  if (size == 2) {
    if ((hw1 & 0xf000) == 0x5000) { /* load/store register offset */
      uint32_t opb = (hw1 >> 9) & 7;
      cls[opb <= 2 ? C_STORE : C_LOAD] += 1;
    } else if ((hw1 & 0xe000) == 0x6000 || (hw1 & 0xf000) == 0x8000 || (hw1 & 0xf000) == 0x9000) {
      cls[(hw1 & 0x0800) ? C_LOAD : C_STORE] += 1; /* LDR/STR(B/H) immediate, SP-relative */
    } else if ((hw1 & 0xf800) == 0x4800) {
      cls[C_LOAD] += 1; /* LDR literal */
    } else if ((hw1 & 0xf000) == 0xc000) {
      cls[C_MULTI] += 1;
      cls[C_MULTI_REGS] += popcount16(hw1 & 0xff);
    } else if ((hw1 & 0xfe00) == 0xb400) { /* PUSH */
      cls[C_MULTI] += 1;
      cls[C_MULTI_REGS] += popcount16(hw1 & 0xff) + ((hw1 >> 8) & 1);
    } else if ((hw1 & 0xfe00) == 0xbc00) { /* POP */
      cls[C_MULTI] += 1;
      cls[C_MULTI_REGS] += popcount16(hw1 & 0xff) + ((hw1 >> 8) & 1);
      if (hw1 & 0x100) cls[C_BRANCH] += 1;
    } else if ((hw1 & 0xffc0) == 0x4340) {
      cls[C_MUL] += 1;
    } else if ((hw1 & 0xf000) == 0xd000) {
      uint32_t cond = (hw1 >> 8) & 0xf;
      if (cond < 0xe) cls[(hw1 & 0x80) ? C_BCOND_BACK : C_BCOND_FWD] += 1;
    } else if ((hw1 & 0xf800) == 0xe000) {
      cls[C_BRANCH] += 1;
    } else if ((hw1 & 0xff00) == 0x4700) {
      cls[C_BRANCH] += 1; /* BX / BLX register */
    } else if ((hw1 & 0xff00) == 0x4600 && ((((hw1 >> 4) & 8) | (hw1 & 7)) == 15)) {
      cls[C_BRANCH] += 1; /* MOV pc, Rm */
    } else if ((hw1 & 0xf500) == 0xb100) {
      cls[C_BCOND_FWD] += 1; /* CBZ / CBNZ: forward only */
    }
    return;
  }
  uint32_t hw2 = (uint32_t)b[2] | ((uint32_t)b[3] << 8);
  uint32_t op1 = (hw1 >> 11) & 3;
  uint32_t op2 = (hw1 >> 4) & 0x7f;
  /* coprocessor / FP / MVE space: 111x 11xx xxxx xxxx */
  if ((hw1 & 0xec00) == 0xec00) {
    uint32_t coproc = (hw2 >> 8) & 0xf;
    if ((hw1 & 0xef00) == 0xef00 || coproc >= 0xe || (hw1 & 0xff00) == 0xfc00 || (hw1 & 0xff00) == 0xfd00 ||
        (hw1 & 0xff00) == 0xfe00) {
      /* 111x 1111 (vector data processing) and cp14/cp15-space encodings: MVE on Armv8.1-M */
      cls[C_MVE] += 1;
    } else if ((hw1 & 0x0e00) == 0x0c00) { /* load/store coprocessor: VLDR/VSTR/VLDM/VSTM/VPUSH/VPOP */
      uint32_t p = (hw1 >> 8) & 1, w = (hw1 >> 5) & 1, u = (hw1 >> 7) & 1;
      int load = (hw1 >> 4) & 1;
      if ((hw1 & 0x0fe0) == 0x0c40) {
        cls[C_FP] += 1; /* VMOV between core and two registers */
      } else if (p == 1 && w == 0) {
        cls[load ? C_LOAD : C_STORE] += 1; /* VLDR / VSTR */
      } else {
        uint32_t words = hw2 & 0xff;
        (void)u;
        cls[C_MULTI] += 1;
        cls[C_MULTI_REGS] += words;
      }
    } else if ((hw1 & 0x0f00) == 0x0e00 && (hw2 & 0x10) == 0) { /* FP data processing */
      uint32_t opc1 = (hw1 >> 4) & 0xb, opc3 = (hw2 >> 6) & 3, opc2 = hw1 & 0xf;
      if (opc1 == 0x8 || (opc1 == 0xb && opc2 == 0x1 && opc3 == 3))
        cls[C_FP_DIV] += 1;
      else
        cls[C_FP] += 1;
    } else {
      cls[C_FP] += 1; /* VMOV / VMRS / VMSR */
    }
    return;
  }
  if (op1 == 1) {
    if ((op2 & 0x64) == 0x00) { /* load/store multiple */
      cls[C_MULTI] += 1;
      cls[C_MULTI_REGS] += popcount16(hw2);
      if ((hw1 & 0x10) && (hw2 & 0x8000)) cls[C_BRANCH] += 1;
    } else if ((op2 & 0x64) == 0x04) { /* load/store dual or exclusive, table branch */
      if ((hw1 & 0xfff0) == 0xe8d0 && (hw2 & 0xffe0) == 0xf000) {
        cls[C_LOAD] += 1;
        cls[C_BRANCH] += 1; /* TBB / TBH */
      } else {
        cls[(hw1 & 0x10) ? C_LOAD : C_STORE] += 1;
      }
    }
    return; /* data processing (shifted register) */
  }
  if (op1 == 2) {
    if (hw2 & 0x8000) {
      uint32_t k = (hw2 >> 12) & 5;
      if (k == 0) { /* B<c> T3 or misc control */
        uint32_t cond = (hw1 >> 6) & 0xf;
        if (cond < 0xe) cls[(hw1 & 0x400) ? C_BCOND_BACK : C_BCOND_FWD] += 1;
      } else if (k == 1 || k == 5) {
        cls[C_BRANCH] += 1; /* B T4, BL */
      } else {
        cls[C_LOOP] += 1; /* Armv8.1-M WLS / DLS / LE / LETP live in the old BLX-immediate space */
      }
    }
    if ((hw1 & 0x0200) && ((hw1 >> 4) & 0x15) == 0x10) cls[C_DSP] += 1; /* SSAT / USAT (16) */
    return; /* data processing (immediate) */
  }
  /* op1 == 3 */
  if ((op2 & 0x71) == 0x00) {
    cls[C_STORE] += 1;
  } else if ((op2 & 0x67) == 0x01 || (op2 & 0x67) == 0x03 || (op2 & 0x67) == 0x05) {
    uint32_t rt = (hw2 >> 12) & 0xf;
    if (rt == 15 && (op2 & 0x67) == 0x05) {
      cls[C_LOAD] += 1;
      cls[C_BRANCH] += 1; /* LDR pc */
    } else if (rt == 15) {
      /* PLD / PLI: hint, priced as ALU */
    } else {
      cls[C_LOAD] += 1;
    }
  } else if ((op2 & 0x70) == 0x20) { /* data processing (register) */
    uint32_t a = (hw1 >> 4) & 0xf, b2 = (hw2 >> 4) & 0xf;
    if ((a & 0x8) && (b2 & 0x8) == 0) cls[C_DSP] += 1;                     /* parallel add/sub */
    else if ((a & 0xc) == 0x8 && (b2 & 0xc) == 0x8) cls[C_DSP] += 1;       /* QADD, SEL, REV, CLZ */
    else if ((a & 0x8) == 0 && (b2 & 0x8) && (a & 0x6) == 0x2) cls[C_DSP] += 1; /* SXTB16 / UXTB16 (+A) */
  } else if ((op2 & 0x78) == 0x30) {
    cls[C_MUL] += 1;
  } else if ((op2 & 0x78) == 0x38) {
    uint32_t o = (hw1 >> 4) & 7, b2 = (hw2 >> 4) & 0xf;
    if ((o == 1 || o == 3) && b2 == 0xf) cls[C_DIV] += 1;
    else cls[C_MUL64] += 1;
  }
}

/* ---- trace mode (trace=1): what the per-class counts cannot see ----
 * Branch outcomes (a per-block exec callback: a block ending in a conditional branch was taken when the
 * next executed block does not start at its fall-through), non-sequential fetches, flash caches simulated
 * as set-associative LRU (line size, sets, ways from the board file), bytes read/written per memory region
 * (a memory callback per access; an address counts for the last region given that holds it), and
 * address-generation interlocks (static, per adjacent pair). */
enum { T_BTAKEN, T_FETCH_NONSEQ, T_ICACHE_MISS, T_DFLASH_MISS, T_AGU_STALL, T_N };
static const char *trace_names[T_N] = {"btaken", "fetch_nonseq", "icache_miss", "dflash_miss", "agu_stall"};
static uint64_t trace_ctr[T_N];
static int trace;

#define MAX_REGIONS 16
static uint64_t region_lo[MAX_REGIONS], region_hi[MAX_REGIONS];
static int region_ws_flash[MAX_REGIONS]; /* accesses pay flash wait states (through the caches below) */
static int n_regions;
static uint64_t region_rd[MAX_REGIONS + 1], region_wr[MAX_REGIONS + 1]; /* [n_regions] = anything else */

typedef struct {
  unsigned line_shift, sets, ways;
  uint64_t *tags; /* sets * ways, tag+1 (0 = empty) */
  uint64_t *age;
  uint64_t tick;
} cache_t;
static cache_t icache, dcache_own;
static cache_t *dcache; /* NULL: every flash data read pays the wait states; may point at icache (shared) */

static int cache_init(cache_t *c, const char *spec) { /* "LINEBYTES:SETS:WAYS" */
  unsigned line, sets, ways;
  if (sscanf(spec, "%u:%u:%u", &line, &sets, &ways) != 3 || !line || (line & (line - 1)) || !sets || !ways) return -1;
  c->line_shift = (unsigned)__builtin_ctz(line);
  c->sets = sets;
  c->ways = ways;
  c->tags = calloc((size_t)sets * ways, sizeof(uint64_t));
  c->age = calloc((size_t)sets * ways, sizeof(uint64_t));
  return c->tags && c->age ? 0 : -1;
}

/* Looks up one line; returns 1 on a miss (the line is then filled, replacing the least recently used way). */
static int cache_access(cache_t *c, uint64_t line) {
  uint64_t *tags = c->tags + (line % c->sets) * c->ways, *age = c->age + (line % c->sets) * c->ways;
  unsigned victim = 0;
  c->tick++;
  for (unsigned w = 0; w < c->ways; w++) {
    if (tags[w] == line + 1) {
      age[w] = c->tick;
      return 0;
    }
    if (age[w] < age[victim]) victim = w;
  }
  tags[victim] = line + 1;
  age[victim] = c->tick;
  return 1;
}

/* The last region given that holds addr: ranges given after the board's regions (watched symbols) win. */
static int region_of(uint64_t addr) {
  for (int r = n_regions - 1; r >= 0; r--)
    if (addr >= region_lo[r] && addr < region_hi[r]) return r;
  return n_regions;
}

typedef struct {
  uint64_t start, end; /* end = fall-through address */
  int ends_cond;       /* last instruction is a conditional branch (B<c>, CBZ, CBNZ) */
  int ws_flash;        /* the block is fetched from a wait-state flash region */
} tb_info;

static uint64_t prev_end = UINT64_MAX;
static int prev_cond;

static void vcpu_tb_exec(unsigned int vcpu_index, void *userdata) {
  (void)vcpu_index;
  const tb_info *tb = userdata;
  if (prev_cond && tb->start != prev_end) trace_ctr[T_BTAKEN]++;
  if (tb->ws_flash) {
    if (tb->start != prev_end) trace_ctr[T_FETCH_NONSEQ]++;
    if (icache.tags)
      for (uint64_t l = tb->start >> icache.line_shift; l <= (tb->end - 1) >> icache.line_shift; l++)
        trace_ctr[T_ICACHE_MISS] += (uint64_t)cache_access(&icache, l);
  }
  prev_cond = tb->ends_cond;
  prev_end = tb->end;
}

static void vcpu_mem(unsigned int vcpu_index, qemu_plugin_meminfo_t info, uint64_t vaddr, void *userdata) {
  (void)vcpu_index;
  (void)userdata;
  uint64_t size = 1ull << qemu_plugin_mem_size_shift(info);
  int r = region_of(vaddr);
  if (qemu_plugin_mem_is_store(info)) {
    region_wr[r] += size;
    return;
  }
  region_rd[r] += size;
  if (r < n_regions && region_ws_flash[r]) {
    if (!dcache) {
      trace_ctr[T_DFLASH_MISS]++;
      return;
    }
    for (uint64_t l = vaddr >> dcache->line_shift; l <= (vaddr + size - 1) >> dcache->line_shift; l++)
      trace_ctr[T_DFLASH_MISS] += (uint64_t)cache_access(dcache, l);
  }
}

/* Core registers an instruction writes (bit mask; only the encodings that matter for the interlock below:
 * data processing, moves, multiplies and single loads). */
static uint32_t regs_written(const uint8_t *b, size_t size) {
  uint32_t hw1 = (uint32_t)b[0] | ((uint32_t)b[1] << 8);
  if (size == 2) {
    if ((hw1 & 0xc000) == 0x0000) { /* shift/add/sub/mov/cmp immediate and register */
      if ((hw1 & 0xe000) == 0x2000) return ((hw1 >> 11) & 3) == 1 ? 0 : 1u << ((hw1 >> 8) & 7); /* CMP writes none */
      return 1u << (hw1 & 7);
    }
    if ((hw1 & 0xfc00) == 0x4000) { /* ALU: TST, CMP, CMN write no register */
      uint32_t op = (hw1 >> 6) & 0xf;
      return (op == 8 || op == 10 || op == 11) ? 0 : 1u << (hw1 & 7);
    }
    if ((hw1 & 0xfc00) == 0x4400) { /* ADD / MOV high registers */
      uint32_t op = (hw1 >> 8) & 3;
      return (op == 0 || op == 2) ? 1u << ((((hw1 >> 7) & 1) << 3) | (hw1 & 7)) : 0;
    }
    if ((hw1 & 0xf000) == 0x5000) return ((hw1 >> 9) & 7) >= 3 ? 1u << (hw1 & 7) : 0;
    if ((hw1 & 0xe000) == 0x6000 || (hw1 & 0xf000) == 0x8000) return (hw1 & 0x800) ? 1u << (hw1 & 7) : 0;
    if ((hw1 & 0xf800) == 0x4800 || (hw1 & 0xf800) == 0x9800 || (hw1 & 0xf000) == 0xa000) return 1u << ((hw1 >> 8) & 7);
    if ((hw1 & 0xff00) == 0xb200) return 1u << (hw1 & 7); /* SXTH/SXTB/UXTH/UXTB */
    return 0;
  }
  uint32_t hw2 = (uint32_t)b[2] | ((uint32_t)b[3] << 8);
  uint32_t op1 = (hw1 >> 11) & 3, op2 = (hw1 >> 4) & 0x7f;
  if ((hw1 & 0xec00) == 0xec00) return 0; /* coprocessor / FP / MVE */
  uint32_t rd = (hw2 >> 8) & 0xf;
  if (op1 == 1 && (op2 & 0x40)) return rd == 15 ? 0 : 1u << rd;                 /* data processing (shifted reg) */
  if (op1 == 2 && !(hw2 & 0x8000)) return rd == 15 ? 0 : 1u << rd;              /* data processing (immediate) */
  if (op1 == 3) {
    if ((op2 & 0x67) == 0x01 || (op2 & 0x67) == 0x03 || (op2 & 0x67) == 0x05) { /* single loads */
      uint32_t rt = (hw2 >> 12) & 0xf;
      return rt == 15 ? 0 : 1u << rt;
    }
    if ((op2 & 0x70) == 0x20 || (op2 & 0x78) == 0x30) return rd == 15 ? 0 : 1u << rd; /* data proc reg, multiply */
  }
  return 0;
}

/* Core registers a load/store uses to form its address (base and offset), 0 for anything else. */
static uint32_t address_regs(const uint8_t *b, size_t size) {
  uint32_t hw1 = (uint32_t)b[0] | ((uint32_t)b[1] << 8);
  if (size == 2) {
    if ((hw1 & 0xf000) == 0x5000) return (1u << ((hw1 >> 3) & 7)) | (1u << ((hw1 >> 6) & 7));
    if ((hw1 & 0xe000) == 0x6000 || (hw1 & 0xf000) == 0x8000) return 1u << ((hw1 >> 3) & 7);
    if ((hw1 & 0xf000) == 0x9000) return 1u << 13;
    if ((hw1 & 0xf000) == 0xc000) return 1u << ((hw1 >> 8) & 7);
    return 0;
  }
  uint32_t hw2 = (uint32_t)b[2] | ((uint32_t)b[3] << 8);
  uint32_t op1 = (hw1 >> 11) & 3, op2 = (hw1 >> 4) & 0x7f, rn = hw1 & 0xf;
  if ((hw1 & 0xec00) == 0xec00) {
    if ((hw1 & 0x0e00) == 0x0c00 && (hw1 & 0x0fe0) != 0x0c40) return 1u << rn; /* VLDR/VSTR/VLDM/VSTM, MVE VLDR */
    return 0;
  }
  if (op1 == 1 && (op2 & 0x60) == 0) return 1u << rn; /* LDM/STM, LDRD/STRD */
  if (op1 == 3 && (op2 & 0x60) == 0 && (hw1 & 0xfe00) == 0xf800) {
    uint32_t m = 1u << rn;
    if (!(op2 & 0x08) && (hw2 & 0x0fc0) == 0) m |= 1u << (hw2 & 0xf); /* register offset */
    return rn == 15 ? 0 : m;
  }
  return 0;
}

static int is_cond_branch(const uint8_t *b, size_t size) {
  uint32_t hw1 = (uint32_t)b[0] | ((uint32_t)b[1] << 8);
  if (size == 2) return ((hw1 & 0xf000) == 0xd000 && ((hw1 >> 8) & 0xf) < 0xe) || (hw1 & 0xf500) == 0xb100;
  uint32_t hw2 = (uint32_t)b[2] | ((uint32_t)b[3] << 8);
  return ((hw1 >> 11) & 3) == 2 && (hw1 & 0xf800) == 0xf000 && (hw2 & 0xd000) == 0x8000 && ((hw1 >> 6) & 0xf) < 0xe;
}

static void print_counters(void) {
  for (int c = 0; c < C_NCLASSES; c++) fprintf(out, " %" PRIu64, counters[c]);
  if (!trace) return;
  for (int t = 0; t < T_N; t++) fprintf(out, " %" PRIu64, trace_ctr[t]);
  for (int r = 0; r <= n_regions; r++) fprintf(out, " %" PRIu64 " %" PRIu64, region_rd[r], region_wr[r]);
}

static void vcpu_mark(unsigned int vcpu_index, void *userdata) {
  (void)vcpu_index;
  int mark = (int)(intptr_t)userdata;
  fprintf(out, "M %d", mark);
  print_counters();
  fputc('\n', out);
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
  (void)id;
  uint64_t cls[C_NCLASSES] = {0};
  size_t n = qemu_plugin_tb_n_insns(tb);
  int prev_single_mem = 0;
  uint32_t prev_written = 0;
  uint64_t agu = 0;
  for (size_t i = 0; i < n; i++) {
    struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
    uint64_t one[C_NCLASSES] = {0};
    classify((const uint8_t *)qemu_plugin_insn_data(insn), qemu_plugin_insn_size(insn), one);
    if (one[C_LOAD] && prev_single_mem && !one[C_BRANCH]) {
      one[C_LOAD_NEXT] = one[C_LOAD];
      one[C_LOAD] = 0;
    }
    prev_single_mem = (one[C_LOAD] || one[C_LOAD_NEXT] || one[C_STORE]) && !one[C_BRANCH];
    for (int c = 0; c < C_NCLASSES; c++) cls[c] += one[c];
    uint64_t va = qemu_plugin_insn_vaddr(insn);
    if (trace) {
      const uint8_t *bytes = qemu_plugin_insn_data(insn);
      size_t size = qemu_plugin_insn_size(insn);
      if (address_regs(bytes, size) & prev_written) agu++;
      prev_written = regs_written(bytes, size);
      qemu_plugin_register_vcpu_mem_cb(insn, vcpu_mem, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_RW, NULL);
      if (i == n - 1) {
        tb_info *info = malloc(sizeof *info);
        info->start = qemu_plugin_insn_vaddr(qemu_plugin_tb_get_insn(tb, 0));
        info->end = va + size;
        info->ends_cond = is_cond_branch(bytes, size);
        int r = region_of(info->start);
        info->ws_flash = r < n_regions && region_ws_flash[r];
        qemu_plugin_register_vcpu_tb_exec_cb(tb, vcpu_tb_exec, QEMU_PLUGIN_CB_NO_REGS, info);
      }
    }
    for (int m = 0; m < n_marks; m++)
      if (va == marks[m])
        qemu_plugin_register_vcpu_insn_exec_cb(insn, vcpu_mark, QEMU_PLUGIN_CB_NO_REGS, (void *)(intptr_t)m);
  }
  for (int c = 0; c < C_NCLASSES; c++)
    if (cls[c]) qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &counters[c], cls[c]);
  if (agu) qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &trace_ctr[T_AGU_STALL], agu);
}

static void at_exit(qemu_plugin_id_t id, void *userdata) {
  (void)id;
  (void)userdata;
  fprintf(out, "T");
  print_counters();
  fputc('\n', out);
  fclose(out);
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
                                                               char **argv) {
  (void)info;
  const char *path = NULL;
  for (int i = 0; i < argc; i++) {
    if (strncmp(argv[i], "out=", 4) == 0) {
      path = argv[i] + 4;
    } else if (strncmp(argv[i], "mark=", 5) == 0 && n_marks < MAX_MARKS) {
      marks[n_marks++] = strtoull(argv[i] + 5, NULL, 0) & ~1ull; /* Thumb bit off */
    } else if (strcmp(argv[i], "trace=1") == 0) {
      trace = 1;
    } else if (strncmp(argv[i], "region=", 7) == 0 && n_regions < MAX_REGIONS) {
      /* region=LO:SIZE[:w]  (w: a flash region whose accesses pay wait states) */
      char *end;
      region_lo[n_regions] = strtoull(argv[i] + 7, &end, 0);
      region_hi[n_regions] = region_lo[n_regions] + (*end == ':' ? strtoull(end + 1, &end, 0) : 0);
      region_ws_flash[n_regions] = strcmp(end, ":w") == 0;
      n_regions++;
    } else if (strncmp(argv[i], "icache=", 7) == 0) {
      if (cache_init(&icache, argv[i] + 7)) { fprintf(stderr, "tfedge_count: bad %s\n", argv[i]); return -1; }
    } else if (strcmp(argv[i], "dcache=shared") == 0) {
      dcache = &icache;
    } else if (strncmp(argv[i], "dcache=", 7) == 0) {
      if (cache_init(&dcache_own, argv[i] + 7)) { fprintf(stderr, "tfedge_count: bad %s\n", argv[i]); return -1; }
      dcache = &dcache_own;
    } else {
      fprintf(stderr, "tfedge_count: unknown argument %s\n", argv[i]);
      return -1;
    }
  }
  out = path ? fopen(path, "w") : stderr;
  if (!out) {
    fprintf(stderr, "tfedge_count: cannot open %s\n", path);
    return -1;
  }
  setvbuf(out, NULL, _IOFBF, 1 << 16);
  fprintf(out, "classes");
  for (int c = 0; c < C_NCLASSES; c++) fprintf(out, " %s", class_names[c]);
  if (trace) {
    for (int t = 0; t < T_N; t++) fprintf(out, " %s", trace_names[t]);
    for (int r = 0; r < n_regions; r++) fprintf(out, " rd%d wr%d", r, r);
    fprintf(out, " rdx wrx"); /* any other address (peripherals) */
  }
  fputc('\n', out);
  qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
  qemu_plugin_register_atexit_cb(id, at_exit, NULL);
  return 0;
}
