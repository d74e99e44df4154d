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
 * Trace mode (the precise timing model): trace=1, region=LO:SIZE[:w] per memory region, icache= / dcache=
 * LINE:SETS:WAYS (or dcache=shared), core=cortex-mN (the pipeline model) and costs=C0:C1:... (issue cycles
 * per class, tfedge/emulate/cycles.py PRECISE_COSTS).
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
      } else if ((hw1 & 0xffc0) == 0xf000 && hw2 == 0xe801) {
        cls[C_MVE] += 1; /* VCTP (Helium, in the same space) */
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
enum { T_BTAKEN, T_FETCH_NONSEQ, T_ICACHE_MISS, T_DFLASH_MISS, T_STALL, T_DUAL, T_MVE_WAIT, T_BMISS, T_INDIRECT, T_BL, T_LDPC,
       T_MAC32, T_BXLR, T_N };
static const char *trace_names[T_N] = {"btaken", "fetch_nonseq", "icache_miss", "dflash_miss", "stall", "dual",
                                       "mve_wait", "bmiss", "bindirect", "bl", "ldpc", "mac32", "bxlr"};
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

/* ---- pipeline model (trace mode): interlocks, dual issue, Helium beat overlap ----
 * Per translated block, at translation time, an in-order issue model walks the block's instructions: each
 * occupies its issue slot for its class cost (the precise cost table Python passes as costs=...), its result
 * becomes usable `latency` cycles after issue (a later consumer that issues sooner stalls: interlock), an
 * instruction may issue in the same cycle as the one before it where the core dual-issues that pair, and on
 * the Cortex-M55 each Helium instruction keeps its pipe (load/store, integer, multiply/FP, control) busy for
 * its beats, so consecutive instructions of different pipes overlap. The block's totals are inline adds:
 * the run-time cost is one add per counter per executed block. Registers are assumed ready when a block
 * starts (a block starts after a branch, whose refill covers one- or two-cycle latencies); the Helium pipe
 * state is carried across blocks at run time (the exec callback). Sources per core: docs/cycle_model.md. */
enum { K_LOAD = 1, K_LOAD_SUB = 2, K_STORE = 4, K_MUL = 8, K_SHIFT = 16, K_SIMD = 32, K_BRANCH = 64, K_SINGLE = 128,
       K_FP = 256, K_DI16 = 512, K_SHIFTED_ALU = 1024, K_INDIRECT = 2048, K_BL = 4096, K_LDPC = 8192, K_MAC32 = 16384,
       K_BXLR = 32768 /* BX LR: an indirect branch the M3/M4 still forward (their TRMs' branch target forwarding) */ };
enum { P_LS, P_INT, P_MUL, P_SYS, P_N };

typedef struct {
  uint32_t src, early, late, dst; /* core registers read, read a cycle early (address, M7 shifted operand), read late (accumulator), written */
  uint32_t wb;                    /* base register written back by a load/store (forwarded: never an interlock) */
  int kind;                       /* K_* flags */
  int pipe;                       /* Helium pipe (P_*), -1: not a Helium instruction */
  int size;
} insn_t;

typedef struct {
  int dual;                 /* 0: single issue; 1: Cortex-M7 pairs; 2: pairs of 16-bit instructions (M33, M55) */
  double load_lat, sub_lat; /* cycles from issue until a word / byte-halfword load result is usable (0: at once after the slot) */
  double mul_lat, shifted_lat, fp_lat;
  double early;             /* extra cycles before a result feeds an early-read operand (address generation) */
  int acc_late;             /* a MAC's accumulator is read a cycle late (M7) */
  int mve;                  /* Helium pipes (M55) */
  int bpred;                /* dynamic branch prediction (M7) */
} core_model_t;
static core_model_t model;
static double costs[C_NCLASSES]; /* issue cycles per class (precise table), from costs=... */

static int set_core(const char *name) {
  core_model_t m = {0};
  if (!strcmp(name, "cortex-m0")) {
    /* M0 TRM 3.3: a load's data is usable by the next instruction (2-cycle LDR, no interlock) */
  } else if (!strcmp(name, "cortex-m3") || !strcmp(name, "cortex-m4")) {
    m.early = 1; /* M3/M4 TRM: no forwarding path to the address generation unit */
  } else if (!strcmp(name, "cortex-m7")) {
    m = (core_model_t){.dual = 1, .load_lat = 1, .sub_lat = 2, .mul_lat = 2, .shifted_lat = 1, .fp_lat = 3, .early = 1,
                       .acc_late = 1, .bpred = 1};
  } else if (!strcmp(name, "cortex-m33")) {
    m = (core_model_t){.dual = 2, .load_lat = 2, .sub_lat = 2};
  } else if (!strcmp(name, "cortex-m55")) {
    m = (core_model_t){.dual = 2, .load_lat = 2, .sub_lat = 2, .mul_lat = 2, .shifted_lat = 2, .mve = 1};
  } else {
    return -1;
  }
  model = m;
  return 0;
}

#define R(n) (1u << ((n) & 15))
static uint32_t reglist16(uint32_t v) { return v & 0xffffu; }

/* Helium pipe of a vector data-processing encoding: the multiply/FP group (VMUL, VMLA, VMLADAV, VMLALDAV,
 * VQDMULH, VMULL, VADDV, VCMP, float ops, VMOV immediate: Arm's LLVM M55 model), else integer. */
static const struct { uint32_t mask, value; int no_size3; } mul_pipe[] = {
    /* each family's fixed bits, from assembling it with every size and registers q0-q7 / r0-r12 (no_size3: size
     * 11 encodes other instructions); VRMLALDAVH is left out (its RdaHi field overlaps VMAXV/VMINV) */
    {0xeff11fd1u, 0xeef00f00u, 0}, /* vmladav{a}{x}.{s}8 */
    {0xfff01ed1u, 0xeef01e00u, 0}, /* vmladav{a}x.s{n} */
    {0xeff01fd1u, 0xeef00e00u, 0}, /* vmladav{a}.{s}{n} */
    {0xeff01fd1u, 0xeef00e01u, 0}, /* vmlsdav{a}.s{n} */
    {0xef801fd1u, 0xee800e00u, 0}, /* vmlaldav{a}.{s}{n} */
    {0xefc11ff0u, 0xee010e40u, 0}, /* vmla.{s}{n} */
    {0xefc11ff0u, 0xee011e40u, 0}, /* vmlas.{s}{n} */
    {0xffc11ff1u, 0xef000950u, 0}, /* vmul.i{n} */
    {0xffc11ff0u, 0xee011e60u, 1}, /* vmul.i{n} */
    {0xefc11ff1u, 0xef000b40u, 0}, /* vq{rd}mulh.s{n} */
    {0xefc11ff0u, 0xee010e60u, 0}, /* vq{rd}mulh.s{n} */
    {0xefc11ff1u, 0xee010e01u, 1}, /* vmulh.{s}{n} */
    {0xefc10ff1u, 0xee010e00u, 0}, /* vmull{bt}.{s}{n} */
    {0xeff31fd1u, 0xeef10f00u, 0}, /* vaddv{a}.{s}{n} */
    {0xef8f1fd1u, 0xee890f00u, 0}, /* vaddlv{a}.{s}32 */
    {0xffc1fff1u, 0xfe010f00u, 0}, /* vcmp.i{n} */
    {0xffc1fff1u, 0xfe011f01u, 0}, /* vcmp.s{n} */
    {0xffc1fff0u, 0xfe011f60u, 0}, /* vcmp.s{n} */
    {0xffc1fff0u, 0xfe010f40u, 0}, /* vcmp.i{n} */
    {0xfff11ff1u, 0xef000c50u, 0}, /* vfma.f32 */
    {0xfff11ff1u, 0xef000d40u, 0}, /* vadd.f32 */
    {0xfff11ff1u, 0xff000d50u, 0}, /* vmul.f32 */
    {0xfff11ff1u, 0xef200d40u, 0}, /* vsub.f32 */
    {0xffff1ff1u, 0xffbb0640u, 0}, /* vcvt.f32.s32 */
    {0xffff1ff1u, 0xffbb0740u, 0}, /* vcvt.s32.f32 */
    {0xffff11ffu, 0xef800050u, 0}, /* vmov.i{n} */
};

static int mve_pipe(uint32_t hw1, uint32_t hw2) {
  uint32_t w = (hw1 << 16) | hw2;
  if ((hw1 & 0xee00) == 0xec00) return P_LS; /* VLDR/VSTR/VLD2x/VLD4x/VST2x/VST4x, gathers, scatters */
  if ((hw1 & 0xffbf) == 0xfe31 && (hw2 & 0x1fff) == 0x0f4d) return P_SYS; /* VPST (VCTP: decode()) */
  for (size_t i = 0; i < sizeof mul_pipe / sizeof mul_pipe[0]; i++)
    if ((w & mul_pipe[i].mask) == mul_pipe[i].value && !(mul_pipe[i].no_size3 && ((hw1 >> 4) & 3) == 3)) return P_MUL;
  return P_INT;
}

/* Registers, units and pairing class of one instruction (the encodings compiled code uses; anything else
 * reads and writes nothing, which can only hide an interlock, never invent one). */
static void decode(const uint8_t *b, size_t size, insn_t *d) {
  uint32_t hw1 = (uint32_t)b[0] | ((uint32_t)b[1] << 8);
  memset(d, 0, sizeof *d);
  d->pipe = -1;
  d->size = (int)size;
  if (size == 2) {
    uint32_t r0 = hw1 & 7, r3 = (hw1 >> 3) & 7, r6 = (hw1 >> 6) & 7, r8 = (hw1 >> 8) & 7;
    if ((hw1 & 0xf800) == 0x1800) { /* ADD/SUB register or imm3 */
      d->src = R(r3) | ((hw1 & 0x400) ? 0 : R(r6));
      d->dst = R(r0);
      if (hw1 & 0x400) d->kind |= K_DI16;
    } else if ((hw1 & 0xe000) == 0x0000) { /* LSL/LSR/ASR immediate (LSLS #0 = MOVS) */
      d->src = R(r3);
      d->dst = R(r0);
    } else if ((hw1 & 0xe000) == 0x2000) { /* MOV/CMP/ADD/SUB imm8 */
      uint32_t op = (hw1 >> 11) & 3;
      if (op != 0) d->src = R(r8);
      if (op != 1) d->dst = R(r8);
      if (op != 1) d->kind |= K_DI16;
    } else if ((hw1 & 0xfc00) == 0x4000) { /* ALU register */
      uint32_t op = (hw1 >> 6) & 0xf;
      d->src = R(r3) | (op == 15 ? 0 : R(r0));
      if (op != 8 && op != 10 && op != 11) d->dst = R(r0);
      if (op == 13) d->kind |= K_MUL;
    } else if ((hw1 & 0xfc00) == 0x4400) { /* hi registers: ADD, CMP, MOV, BX/BLX */
      uint32_t op = (hw1 >> 8) & 3, rdn = (((hw1 >> 7) & 1) << 3) | r0, rm = (hw1 >> 3) & 15;
      if (op == 3) {
        d->src = R(rm);
        d->kind |= K_BRANCH | K_INDIRECT;
        if (hw1 & 0x80) d->dst = R(14);
        else if (rm == 14) d->kind |= K_BXLR;
      } else {
        d->src = R(rm) | (op == 2 ? 0 : R(rdn));
        if (op != 1) d->dst = rdn == 15 ? 0 : R(rdn);
        if (op == 2 && rdn != 15) d->kind |= K_DI16; /* MOV register */
        if (op != 1 && rdn == 15) d->kind |= K_BRANCH | K_INDIRECT;
      }
    } else if ((hw1 & 0xf800) == 0x4800) { /* LDR literal */
      d->dst = R(r8);
      d->kind |= K_LOAD;
    } else if ((hw1 & 0xf000) == 0x5000) { /* load/store register offset */
      uint32_t opb = (hw1 >> 9) & 7;
      d->early = R(r3) | R(r6);
      if (opb <= 2) {
        d->late = R(r0); /* store data is read late (M7: a cycle after the address) */
        d->kind |= K_STORE;
      } else {
        d->dst = R(r0);
        d->kind |= (opb == 4) ? K_LOAD : K_LOAD | K_LOAD_SUB;
      }
    } else if ((hw1 & 0xe000) == 0x6000 || (hw1 & 0xf000) == 0x8000) { /* load/store immediate offset */
      int word = (hw1 & 0xe000) == 0x6000 && !(hw1 & 0x1000);
      d->early = R(r3);
      if (hw1 & 0x800) {
        d->dst = R(r0);
        d->kind |= word ? K_LOAD : K_LOAD | K_LOAD_SUB;
      } else {
        d->late = R(r0);
        d->kind |= K_STORE;
      }
    } else if ((hw1 & 0xf000) == 0x9000) { /* SP-relative */
      d->early = R(13);
      if (hw1 & 0x800) {
        d->dst = R(r8);
        d->kind |= K_LOAD;
      } else {
        d->late = R(r8);
        d->kind |= K_STORE;
      }
    } else if ((hw1 & 0xf000) == 0xa000) { /* ADR, ADD Rd, SP, #imm */
      d->src = (hw1 & 0x800) ? R(13) : 0;
      d->dst = R(r8);
    } else if ((hw1 & 0xff00) == 0xb000) { /* ADD/SUB SP, #imm */
      d->src = d->dst = R(13);
    } else if ((hw1 & 0xf500) == 0xb100) { /* CBZ/CBNZ */
      d->src = R(r0);
      d->kind |= K_BRANCH;
    } else if ((hw1 & 0xff00) == 0xb200) { /* SXTH/SXTB/UXTH/UXTB */
      d->src = R(r3);
      d->dst = R(r0);
      d->kind |= K_DI16 | K_SIMD; /* M7: extends issue from the older slot, SIMD unit + ALU, no shifter (LLVM M7WriteSIMD1) */
    } else if ((hw1 & 0xfe00) == 0xb400) { /* PUSH */
      d->src = reglist16(hw1 & 0xff) | ((hw1 & 0x100) ? R(14) : 0);
      d->early = R(13);
      d->wb = R(13);
      d->kind |= K_STORE | K_SINGLE;
    } else if ((hw1 & 0xfe00) == 0xbc00) { /* POP */
      d->early = R(13);
      d->dst = reglist16(hw1 & 0xff);
      d->wb = R(13);
      d->kind |= K_LOAD | K_SINGLE;
      if (hw1 & 0x100) d->kind |= K_BRANCH | K_INDIRECT | K_LDPC;
    } else if ((hw1 & 0xffc0) == 0xba00 || (hw1 & 0xffc0) == 0xba40 || (hw1 & 0xffc0) == 0xbac0) { /* REV, REV16, REVSH */
      d->src = R(r3);
      d->dst = R(r0);
      d->kind |= K_SIMD;
    } else if ((hw1 & 0xff00) == 0xbf00) { /* IT, NOP and hints */
      d->kind |= K_DI16;
    } else if ((hw1 & 0xf000) == 0xc000) { /* LDM/STM */
      d->early = R(r8);
      if (hw1 & 0x800) {
        d->dst = reglist16(hw1 & 0xff);
        if (!(hw1 & (1u << r8))) d->wb = R(r8);
        d->kind |= K_LOAD | K_SINGLE;
      } else {
        d->src = reglist16(hw1 & 0xff);
        d->wb = R(r8);
        d->kind |= K_STORE | K_SINGLE;
      }
    } else if ((hw1 & 0xf000) == 0xd000) { /* B<c>, SVC, UDF */
      if (((hw1 >> 8) & 0xf) < 0xe) d->kind |= K_BRANCH | K_DI16;
      else d->kind |= K_SINGLE;
    } else if ((hw1 & 0xf800) == 0xe000) { /* B */
      d->kind |= K_BRANCH | K_DI16;
    }
    return;
  }
  uint32_t hw2 = (uint32_t)b[2] | ((uint32_t)b[3] << 8);
  uint32_t op1 = (hw1 >> 11) & 3, op2 = (hw1 >> 4) & 0x7f, rn = hw1 & 0xf, rd = (hw2 >> 8) & 0xf, rt = hw2 >> 12,
           rm = hw2 & 0xf;
  if ((hw1 & 0xec00) == 0xec00) { /* coprocessor space: FP, Helium */
    uint32_t coproc = (hw2 >> 8) & 0xf;
    int is_mve = (hw1 & 0xef00) == 0xef00 || coproc >= 0xe || (hw1 & 0xfe00) == 0xfc00 || (hw1 & 0xff00) == 0xfe00;
    if ((hw1 & 0x0e00) == 0x0c00 && (hw1 & 0x0fe0) != 0x0c40) { /* loads/stores: the base register */
      d->early = rn == 15 ? 0 : R(rn);
      if (hw1 & 0x20) d->wb = R(rn); /* writeback */
    }
    if (is_mve) {
      d->pipe = mve_pipe(hw1, hw2);
    } else {
      d->kind |= K_FP;
      if ((hw1 & 0x0e00) == 0x0c00) d->kind |= (hw1 & 0x10) ? K_LOAD : K_STORE;
      if ((hw1 & 0x0e00) == 0x0c00 && !((hw1 >> 8) & 1 && !((hw1 >> 5) & 1))) d->kind |= K_SINGLE; /* VLDM/VSTM/VPUSH/VPOP */
      if ((hw1 & 0x0ff0) == 0x0e10 && (hw2 & 0x0f10) == 0x0a10) d->dst = R(rt); /* VMOV core <- S */
      if ((hw1 & 0x0ff0) == 0x0e00 && (hw2 & 0x0f10) == 0x0a10) d->src = R(rt); /* VMOV S <- core */
    }
    return;
  }
  if (op1 == 1) {
    if ((op2 & 0x64) == 0x00) { /* LDM/STM */
      d->early = R(rn);
      if (hw1 & 0x20) d->wb = R(rn);
      if (hw1 & 0x10) {
        d->dst = hw2 & 0xdfff;
        d->kind |= K_LOAD | K_SINGLE;
        if (hw2 & 0x8000) d->kind |= K_BRANCH | K_INDIRECT | K_LDPC;
      } else {
        d->src = hw2 & 0x5fff;
        d->kind |= K_STORE | K_SINGLE;
      }
    } else if ((op2 & 0x64) == 0x04) { /* LDRD/STRD, exclusives, TBB/TBH */
      if ((hw1 & 0xfff0) == 0xe8d0 && (hw2 & 0xffe0) == 0xf000) {
        d->early = R(rn) | R(rm);
        d->kind |= K_LOAD | K_SINGLE | K_BRANCH | K_INDIRECT;
      } else {
        d->early = R(rn);
        if (hw1 & 0x20) d->wb = R(rn);
        if (hw1 & 0x10) {
          d->dst = R(rt) | ((hw1 & 0x0100) || (hw1 & 0x0080) ? R(rd) : 0);
          d->kind |= K_LOAD | K_SINGLE;
        } else {
          d->late = R(rt) | R(rd);
          d->kind |= K_STORE | K_SINGLE;
        }
      }
    } else if ((op2 & 0x60) == 0x20) { /* data processing, shifted register */
      uint32_t imm = (((hw2 >> 12) & 7) << 2) | ((hw2 >> 6) & 3), type = (hw2 >> 4) & 3;
      int shifted = imm != 0 || type != 0;
      d->src = (rn == 15 ? 0 : R(rn));
      if (shifted) d->early = R(rm), d->kind |= K_SHIFT | K_SHIFTED_ALU;
      else d->src |= R(rm);
      if (!(rd == 15 && (hw1 & 0x10))) d->dst = R(rd);
      if ((op2 & 0x1e) == 0x0c && rn == 15 && !shifted) d->kind &= ~K_SHIFT; /* MOV.W register */
      if ((hw1 & 0xffe0) == 0xeac0) d->kind |= K_SIMD; /* PKHBT/PKHTB */
    }
    return;
  }
  if (op1 == 2) {
    if ((hw1 & 0xffc0) == 0xf000 && hw2 == 0xe801) { /* VCTP: Helium control pipe, one beat pair */
      d->src = R(rn);
      d->pipe = P_SYS;
      return;
    }
    if (hw2 & 0x8000) { /* branches, misc control */
      uint32_t k = (hw2 >> 12) & 5;
      if (k == 0) {
        if (((hw1 >> 6) & 0xf) < 0xe) d->kind |= K_BRANCH;
        else d->kind |= K_SINGLE; /* MSR/MRS, barriers, hints */
      } else if (k == 1 || k == 5) {
        d->kind |= K_BRANCH;
        if (k == 5) d->dst = R(14), d->kind |= K_BL;
      }
      return;
    }
    d->src = rn == 15 ? 0 : R(rn);
    d->dst = R(rd);
    if (hw1 & 0x0200) { /* plain binary immediate */
      uint32_t op = (hw1 >> 4) & 0x1f;
      if (op == 0x04) d->src = 0;                                      /* MOVW */
      if (op == 0x0c || op == 0x16) d->src |= R(rd);                   /* MOVT, BFI/BFC keep Rd's other bits */
      if (op == 0x10 || op == 0x12 || op == 0x18 || op == 0x1a) d->kind |= K_SIMD | K_SHIFT; /* SSAT/USAT */
      if (op == 0x14 || op == 0x16 || op == 0x1c) d->kind |= K_SHIFT | K_SIMD; /* SBFX, BFI, UBFX: older slot on M7 */
    } else if (rd == 15 && (hw1 & 0x10)) {
      d->dst = 0; /* TST/TEQ/CMN/CMP immediate */
    }
    return;
  }
  /* op1 == 3 */
  if ((op2 & 0x71) == 0x00 || ((op2 & 0x67) == 0x01 || (op2 & 0x67) == 0x03 || (op2 & 0x67) == 0x05)) {
    int load = (op2 & 0x71) != 0x00;
    d->early = rn == 15 ? 0 : R(rn);
    if (!(hw1 & 0x80) && rn != 15) {
      if ((hw2 & 0x0fc0) == 0) d->early |= R(rm);   /* register offset */
      else if (hw2 & 0x0100) d->wb = R(rn);         /* pre/post-indexed writeback */
    }
    if (load) {
      if (rt == 15) {
        if ((op2 & 0x67) == 0x05) d->kind |= K_LOAD | K_BRANCH | K_INDIRECT | K_LDPC;
        return; /* PLD/PLI */
      }
      d->dst |= R(rt);
      d->kind |= ((hw1 >> 5) & 3) == 2 ? K_LOAD : K_LOAD | K_LOAD_SUB;
    } else {
      d->late = R(rt);
      d->kind |= K_STORE;
    }
    return;
  }
  d->src = (rn == 15 ? 0 : R(rn)) | R(rm);
  d->dst = R(rd);
  if ((op2 & 0x70) == 0x20) { /* data processing (register): shifts by register, extends, SIMD, QADD, REV, CLZ */
    uint32_t a = (hw1 >> 4) & 0xf, b2 = (hw2 >> 4) & 0xf;
    if ((a & 0x8) && (b2 & 0x8) == 0) d->kind |= K_SIMD;                     /* parallel add/sub */
    else if ((a & 0xc) == 0x8 && (b2 & 0xc) == 0x8) d->kind |= K_SIMD;       /* QADD, SEL, REV, CLZ */
    else if ((a & 0x8) == 0 && (b2 & 0x8)) /* SXTB/UXTB/.../SXTB16: SIMD unit, older slot; +A forms also the shifter */
      d->kind |= K_SIMD | (rn != 15 ? K_SHIFT : 0);                          /* (LLVM M7: SIMD1 vs ShSIMD1) */
  } else if ((op2 & 0x78) == 0x30) { /* multiply, MAC */
    d->kind |= K_MUL;
    if (rt != 15) d->late = R(rt), d->kind |= K_MAC32; /* MLA, MLS, SMLAxy, SMLAD, SMMLA ... */
  } else if ((op2 & 0x78) == 0x38) { /* long multiply, divide */
    uint32_t o = (hw1 >> 4) & 7;
    if ((o == 1 || o == 3) && ((hw2 >> 4) & 0xf) == 0xf) {
      d->kind |= K_SINGLE; /* SDIV/UDIV */
    } else {
      d->kind |= K_MUL;
      d->dst |= R(rt);
      if (o >= 4) d->late = R(rt) | R(rd); /* accumulating: xMLAL, SMLALD ... */
    }
  }
}

static double latency(const insn_t *d) {
  if (d->kind & K_LOAD) return (d->kind & K_LOAD_SUB) ? model.sub_lat : model.load_lat;
  if (d->kind & K_MUL) return model.mul_lat;
  if (d->kind & K_FP) return model.fp_lat;
  if (d->kind & K_SHIFTED_ALU) return model.shifted_lat;
  return 0;
}

/* Whether `cur` issues in the same cycle as `prev` on this core (register dependencies checked by the caller). */
static int pairs(const insn_t *prev, const insn_t *cur) {
  if (prev->pipe >= 0 || cur->pipe >= 0 || (prev->kind & K_BRANCH)) return 0;
  if (model.dual == 1) { /* M7: two ALUs, two load ports, one store, one MAC, one branch, one FP, one early shifter */
    if ((prev->kind | cur->kind) & K_SINGLE) return 0;
    if (cur->kind & K_SIMD) return 0; /* DSP instructions issue from the older slot only */
    return !(prev->kind & cur->kind & (K_STORE | K_MUL | K_BRANCH | K_FP | K_SHIFT));
  }
  if (model.dual == 2) /* M33/M55: two 16-bit instructions, one of them a simple move/add/sub-immediate/extend/branch */
    return prev->size == 2 && cur->size == 2 && ((prev->kind | cur->kind) & K_DI16) && !((prev->kind | cur->kind) & K_FP);
  return 0;
}

typedef struct {
  uint64_t start, end;     /* end = fall-through address */
  int ends_cond;           /* last instruction is a conditional branch (B<c>, CBZ, CBNZ) */
  int ws_flash;            /* the block is fetched from a wait-state flash region */
  int predict;             /* M7: 2-bit predictor state of the final conditional branch (>= 2: taken) */
  int head_pipe;           /* Helium pipe of the first vector instruction, -1 none */
  int head_at;             /* its issue cycle within the block without waiting */
  int8_t tail[P_N];        /* cycles each Helium pipe stays busy after the block's last issue slot */
  int ends;                /* how the block ends: E_* (decides whether the next block starts after a refill) */
  int8_t reg_tail[16];     /* cycle, from the block's end, at which each register's last result is ready */
  int8_t reg_need[16];     /* cycle, from the block's start, by which its first reader needs each register */
} tb_info;

enum { E_NONE, E_COND, E_DIRECT, E_INDIRECT }; /* falls through (or LE), B<c>/CBZ, B/BL, BX/POP pc/... */

static int8_t clamp8(double v) { return (int8_t)(v < -8 ? -8 : v > 100 ? 100 : (v < 0 ? -(long)(-v + 0.5) : (long)(v + 0.5))); }

typedef struct {
  uint64_t stall, dual, mve_wait, indirect, bl, ldpc, mac32, bxlr;
} sched_t;

static uint64_t round_cycles(double v) { return v > 0 ? (uint64_t)(v + 0.5) : 0; }

/* The in-order issue model of one block: n instructions, occupancy occ[i] (class costs), decoded d[i]. */
static void schedule(size_t n, const double *occ, const insn_t *d, sched_t *out, tb_info *info) {
  double ready[16], pipe_free[P_N] = {0}, t = 0, prev_issue = 0, stall = 0, wait = 0;
  for (int r = 0; r < 16; r++) ready[r] = -8; /* ready before the block */
  int have_prev = 0, prev_paired = 0;
  info->head_pipe = -1;
  for (int r = 0; r < 16; r++) info->reg_need[r] = 100; /* not read */
  for (size_t i = 0; i < n; i++) {
    const insn_t *c = &d[i];
    double dep = 0;
    for (int r = 0; r < 16; r++) {
      uint32_t bit = 1u << r;
      if (c->src & bit && ready[r] > dep) dep = ready[r];
      if (c->early & bit && ready[r] + model.early > dep) dep = ready[r] + model.early;
      if (c->late & bit && ready[r] - model.acc_late > dep) dep = ready[r] - model.acc_late;
    }
    double issue;
    if (have_prev && !prev_paired && occ[i] == 1 && occ[i - 1] == 1 && dep <= prev_issue && pairs(&d[i - 1], c) &&
        !((c->src | c->early | c->late) & (d[i - 1].dst | d[i - 1].wb))) {
      issue = prev_issue; /* dual issue: no slot of its own */
      out->dual++;
      prev_paired = 1;
    } else {
      issue = dep > t ? dep : t;
      stall += issue - t;
      if (c->pipe >= 0 && model.mve) {
        if (info->head_pipe < 0) info->head_pipe = c->pipe, info->head_at = (int)issue;
        if (pipe_free[c->pipe] > issue) wait += pipe_free[c->pipe] - issue, issue = pipe_free[c->pipe];
      }
      t = issue + occ[i];
      prev_paired = 0;
    }
    if (c->pipe >= 0 && model.mve) pipe_free[c->pipe] = issue + (c->pipe == P_SYS ? 1 : 2); /* two beats per tick */
    for (int r = 0; r < 16; r++) { /* the first read of each register, for the previous block's latencies */
      uint32_t bit = 1u << r;
      if (info->reg_need[r] != 100 || !((c->src | c->early | c->late) & bit)) continue;
      info->reg_need[r] = clamp8((c->early & bit) ? issue - model.early : (c->late & bit) ? issue + model.acc_late : issue);
    }
    double lat = latency(c), avail = issue + (lat > occ[i] ? lat : occ[i]);
    double forwarded = issue + occ[i] - model.early;
    for (int r = 0; r < 16; r++) {
      if (c->wb & (1u << r)) ready[r] = forwarded > issue ? forwarded : issue;
      if (c->dst & (1u << r)) ready[r] = avail;
    }
    if (c->kind & K_INDIRECT) out->indirect++;
    if (c->kind & K_BL) out->bl++;
    if (c->kind & K_LDPC) out->ldpc++;
    if (c->kind & K_MAC32) out->mac32++;
    if (c->kind & K_BXLR) out->bxlr++;
    prev_issue = issue;
    have_prev = 1;
  }
  for (int p = 0; p < P_N; p++) info->tail[p] = (int8_t)(pipe_free[p] > t ? round_cycles(pipe_free[p] - t) : 0);
  for (int r = 0; r < 16; r++) info->reg_tail[r] = clamp8(ready[r] - t);
  const insn_t *last = &d[n - 1];
  info->ends = !(last->kind & K_BRANCH) ? E_NONE : (last->kind & K_INDIRECT) ? E_INDIRECT : E_DIRECT;
  out->stall += round_cycles(stall);
  out->mve_wait += round_cycles(wait);
}

static uint64_t prev_end = UINT64_MAX;
static tb_info *prev_tb;

/* Per executed block (trace mode): branch outcomes, the M7 predictor, flash fetches through the instruction
 * cache, and the Helium pipe state carried from the previous block. */
static void vcpu_tb_exec(unsigned int vcpu_index, void *userdata) {
  (void)vcpu_index;
  tb_info *tb = userdata;
  int refill = 1; /* the pipeline refills between the blocks: it hides the previous block's latencies */
  if (prev_tb && prev_tb->ends_cond) {
    int taken = tb->start != prev_end, miss = 0;
    trace_ctr[T_BTAKEN] += (uint64_t)taken;
    if (model.bpred) {
      int *p = &prev_tb->predict;
      miss = (*p >= 2) != taken;
      trace_ctr[T_BMISS] += (uint64_t)miss;
      *p = taken ? (*p < 3 ? *p + 1 : 3) : (*p > 0 ? *p - 1 : 0);
      refill = miss;
    } else {
      refill = taken;
    }
  } else if (prev_tb) {
    refill = prev_tb->ends == E_INDIRECT || (prev_tb->ends == E_DIRECT && !model.bpred);
  }
  if (!refill) { /* straight on (fall-through, LE, an M7 predicted branch): a result still in flight stalls */
    int worst = 0;
    for (int r = 0; r < 16; r++)
      if (prev_tb->reg_tail[r] - tb->reg_need[r] > worst) worst = prev_tb->reg_tail[r] - tb->reg_need[r];
    trace_ctr[T_STALL] += (uint64_t)worst;
  }
  if (tb->ws_flash) {
    if (tb->start != prev_end) trace_ctr[T_FETCH_NONSEQ]++;
    if (icache.tags)
      for (uint64_t l = tb->start >> icache.line_shift; l <= (tb->end - 1) >> icache.line_shift; l++)
        trace_ctr[T_ICACHE_MISS] += (uint64_t)cache_access(&icache, l);
  }
  if (tb->head_pipe >= 0 && prev_tb && prev_tb->tail[tb->head_pipe] > tb->head_at)
    trace_ctr[T_MVE_WAIT] += (uint64_t)(prev_tb->tail[tb->head_pipe] - tb->head_at);
  prev_tb = tb;
  prev_end = tb->end;
}

static int is_cond_branch(const uint8_t *b, size_t size) {
  uint32_t hw1 = (uint32_t)b[0] | ((uint32_t)b[1] << 8);
  if (size == 2) return ((hw1 & 0xf000) == 0xd000 && ((hw1 >> 8) & 0xf) < 0xe) || (hw1 & 0xf500) == 0xb100;
  uint32_t hw2 = (uint32_t)b[2] | ((uint32_t)b[3] << 8);
  return ((hw1 >> 11) & 3) == 2 && (hw1 & 0xf800) == 0xf000 && (hw2 & 0xd000) == 0x8000 && ((hw1 >> 6) & 0xf) < 0xe;
}

static int is_backward_cond(const uint8_t *b, size_t size) {
  uint32_t hw1 = (uint32_t)b[0] | ((uint32_t)b[1] << 8);
  if (!is_cond_branch(b, size)) return 0;
  if (size == 2) return (hw1 & 0xf000) == 0xd000 && (hw1 & 0x80); /* B<c> T1 negative offset; CBZ/CBNZ: forwards */
  return (hw1 & 0x400) != 0;                                       /* B<c> T3: sign bit */
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

#define MAX_TB_INSNS 512 /* QEMU's TCG_MAX_INSNS */

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
  (void)id;
  uint64_t cls[C_NCLASSES] = {0};
  size_t n = qemu_plugin_tb_n_insns(tb);
  int prev_single_mem = 0;
  static insn_t dec[MAX_TB_INSNS];
  static double occ[MAX_TB_INSNS];
  for (size_t i = 0; i < n; i++) {
    struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
    uint64_t one[C_NCLASSES] = {0};
    const uint8_t *bytes = qemu_plugin_insn_data(insn);
    size_t size = qemu_plugin_insn_size(insn);
    classify(bytes, size, one);
    if (one[C_LOAD] && prev_single_mem && !one[C_BRANCH]) {
      one[C_LOAD_NEXT] = one[C_LOAD];
      one[C_LOAD] = 0;
    }
    prev_single_mem = (one[C_LOAD] || one[C_LOAD_NEXT] || one[C_STORE]) && !one[C_BRANCH];
    for (int c = 0; c < C_NCLASSES; c++) cls[c] += one[c];
    uint64_t va = qemu_plugin_insn_vaddr(insn);
    if (trace && i < MAX_TB_INSNS) { /* QEMU translates at most 512 instructions per block */
      decode(bytes, size, &dec[i]);
      occ[i] = 0;
      for (int c = 0; c < C_NCLASSES; c++) /* a branch's refill is not an issue slot: the run time prices it */
        if (c != C_BRANCH && c != C_BCOND_BACK && c != C_BCOND_FWD) occ[i] += (double)one[c] * costs[c];
      qemu_plugin_register_vcpu_mem_cb(insn, vcpu_mem, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_RW, NULL);
      if (i == n - 1 || i == MAX_TB_INSNS - 1) {
        tb_info *info = calloc(1, sizeof *info);
        sched_t s = {0};
        schedule(i + 1, occ, dec, &s, info);
        info->start = qemu_plugin_insn_vaddr(qemu_plugin_tb_get_insn(tb, 0));
        info->end = va + size;
        info->ends_cond = is_cond_branch(bytes, size);
        info->predict = is_backward_cond(bytes, size) ? 2 : 1; /* first guess: backwards taken, forwards not */
        int r = region_of(info->start);
        info->ws_flash = r < n_regions && region_ws_flash[r];
        qemu_plugin_register_vcpu_tb_exec_cb(tb, vcpu_tb_exec, QEMU_PLUGIN_CB_NO_REGS, info);
        const uint64_t add[][2] = {{T_STALL, s.stall}, {T_DUAL, s.dual}, {T_MVE_WAIT, s.mve_wait},
                                   {T_INDIRECT, s.indirect}, {T_BL, s.bl}, {T_LDPC, s.ldpc},
                                   {T_MAC32, s.mac32}, {T_BXLR, s.bxlr}};
        for (size_t k = 0; k < sizeof add / sizeof add[0]; k++)
          if (add[k][1])
            qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &trace_ctr[add[k][0]], add[k][1]);
      }
    }
    for (int m = 0; m < n_marks; m++)
      if (va == marks[m])
        qemu_plugin_register_vcpu_insn_exec_cb(insn, vcpu_mark, QEMU_PLUGIN_CB_NO_REGS, (void *)(intptr_t)m);
  }
  for (int c = 0; c < C_NCLASSES; c++)
    if (cls[c]) qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &counters[c], cls[c]);
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
    } else if (strncmp(argv[i], "core=", 5) == 0) {
      if (set_core(argv[i] + 5)) { fprintf(stderr, "tfedge_count: unknown %s\n", argv[i]); return -1; }
    } else if (strncmp(argv[i], "costs=", 6) == 0) {
      /* costs=C0:C1:... issue cycles per class, in class order (the precise cost table) */
      char *p = argv[i] + 6;
      for (int c = 0; c < C_NCLASSES; c++) {
        costs[c] = strtod(p, &p);
        if (*p == ':') p++;
      }
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
