/* A CoreMark-like mix, written for tfedge (CoreMark itself is not on this machine): per iteration a
 * linked-list pass (find, reverse, insertion sort by value), an int16 matrix multiply-accumulate, a
 * state machine classifying the tokens of a byte string, and a CRC-16 over the results, each seeded by the
 * previous iteration's CRC so nothing can be hoisted. scripts/coremix.py runs bench(1) and bench(5)
 * between the harness markers: their difference is exactly 4 iterations. Built bare-metal, -O2. */
#include <stddef.h>
#include <stdint.h>

__attribute__((noinline)) void tfedge_invoke_begin(void) { __asm__ volatile("" ::: "memory"); }
__attribute__((noinline)) void tfedge_invoke_end(void) { __asm__ volatile("" ::: "memory"); }

#define NODES 48
#define N 10

typedef struct node {
  struct node *next;
  int16_t value;
  int16_t index;
} node_t;

static node_t pool[NODES];
static int16_t mat_a[N * N], mat_b[N * N];
static int32_t mat_c[N * N];
static const char text[] =
    "5012,1.25e3,-17,0x3f,abc,+9.75,12345678,-0.5e-2,1e,7.,,42,x9,-,3.14159,0,99e9,-8.0,61,5e5,T1,";
volatile uint32_t sink;

static uint16_t crc16(uint16_t crc, uint32_t v, int bytes) {
  for (int b = 0; b < bytes; b++) {
    crc ^= (uint16_t)((v >> (8 * b)) & 0xff);
    for (int i = 0; i < 8; i++) crc = (crc & 1) ? (uint16_t)((crc >> 1) ^ 0xa001) : (uint16_t)(crc >> 1);
  }
  return crc;
}

static node_t *list_build(uint16_t seed) {
  uint32_t x = seed | 1u;
  for (int i = 0; i < NODES; i++) {
    x = x * 1103515245u + 12345u;
    pool[i].value = (int16_t)(x >> 16);
    pool[i].index = (int16_t)i;
    pool[i].next = i + 1 < NODES ? &pool[i + 1] : NULL;
  }
  return &pool[0];
}

static node_t *list_reverse(node_t *head) {
  node_t *prev = NULL;
  while (head) {
    node_t *next = head->next;
    head->next = prev;
    prev = head;
    head = next;
  }
  return prev;
}

static const node_t *list_find(const node_t *head, int16_t value) {
  while (head && head->value != value) head = head->next;
  return head;
}

static node_t *list_sort(node_t *head) { /* insertion sort by value */
  node_t *sorted = NULL;
  while (head) {
    node_t *next = head->next, **at = &sorted;
    while (*at && (*at)->value < head->value) at = &(*at)->next;
    head->next = *at;
    *at = head;
    head = next;
  }
  return sorted;
}

static uint16_t list_pass(uint16_t seed) {
  node_t *head = list_build(seed);
  uint16_t crc = seed;
  for (int k = 0; k < 4; k++) {
    const node_t *f = list_find(head, pool[(seed + 7 * k) % NODES].value);
    crc = crc16(crc, f ? (uint32_t)f->index : 0xffffu, 2);
  }
  head = list_reverse(head);
  head = list_sort(head);
  for (const node_t *p = head; p; p = p->next) crc = crc16(crc, (uint32_t)p->index, 1);
  return crc;
}

static uint16_t matrix_pass(uint16_t seed) {
  for (int i = 0; i < N * N; i++) {
    mat_a[i] = (int16_t)((seed + i * 13) & 0xff) - 128;
    mat_b[i] = (int16_t)((seed ^ (i * 7)) & 0x7f);
  }
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      int32_t acc = 0;
      for (int k = 0; k < N; k++) acc += (int32_t)mat_a[i * N + k] * mat_b[k * N + j];
      mat_c[i * N + j] = acc + seed;
    }
  uint32_t sum = 0;
  for (int i = 0; i < N * N; i++) sum += (uint32_t)(mat_c[i] > 0 ? mat_c[i] : -mat_c[i]) >> 2;
  return crc16(seed, sum, 4);
}

enum { S_START, S_INT, S_FLOAT, S_EXP, S_EXP_SIGN, S_EXP_INT, S_HEX, S_INVALID, S_N };

static uint16_t state_pass(uint16_t seed) {
  uint32_t counts[S_N] = {0};
  int state = S_START;
  size_t start = seed % 3; /* the scan starts at a seed-dependent offset */
  for (size_t i = start; i < sizeof text - 1; i++) {
    char c = text[i];
    if (c == ',') {
      counts[state]++;
      state = S_START;
      continue;
    }
    switch (state) {
      case S_START: state = (c >= '0' && c <= '9') || c == '+' || c == '-' ? S_INT : c == '.' ? S_FLOAT : S_INVALID; break;
      case S_INT:
        if (c == '.') state = S_FLOAT;
        else if (c == 'e' || c == 'E') state = S_EXP;
        else if (c == 'x') state = S_HEX;
        else if (c < '0' || c > '9') state = S_INVALID;
        break;
      case S_FLOAT:
        if (c == 'e' || c == 'E') state = S_EXP;
        else if (c < '0' || c > '9') state = S_INVALID;
        break;
      case S_EXP: state = c == '+' || c == '-' ? S_EXP_SIGN : (c >= '0' && c <= '9') ? S_EXP_INT : S_INVALID; break;
      case S_EXP_SIGN:
      case S_EXP_INT: state = (c >= '0' && c <= '9') ? S_EXP_INT : S_INVALID; break;
      case S_HEX: state = ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) ? S_HEX : S_INVALID; break;
      default: break;
    }
  }
  uint16_t crc = seed;
  for (int s = 0; s < S_N; s++) crc = crc16(crc, counts[s], 2);
  return crc;
}

__attribute__((noinline)) static uint16_t iteration(uint16_t seed) {
  uint16_t crc = list_pass(seed);
  crc = matrix_pass(crc);
  crc = state_pass(crc);
  return crc;
}

__attribute__((noinline)) static void bench(int n, uint16_t seed) {
  tfedge_invoke_begin();
  for (int i = 0; i < n; i++) seed = iteration(seed);
  tfedge_invoke_end();
  sink = seed;
}

int main(void) {
  bench(1, 0x1234);
  bench(5, 0x1234);
  return 0;
}
