/* coremix: a CoreMark work-alike written for tfedge from CoreMark's public description (EEMBC's source is
 * not on this machine). The same three kernels over the same 2000-byte data set split in three (a linked
 * list of 16-bit data/index pairs that is searched, reversed and merge-sorted; int16 matrices added,
 * multiplied by a constant, a vector and a matrix, and bit-extracted; a state machine that classifies the
 * comma-separated numbers of a byte string), the matrix and state kernels run from inside the list sort's
 * comparator, CRC-16 over every result, seeds read from volatile variables so nothing folds at compile
 * time. The performance-run seeds (0, 0, 0x66) give CoreMark's published self-check CRCs (crclist 0xe714,
 * crcmatrix 0x1fd7, crcstate 0x8e3a) when the algorithms match; scripts/coremix.py checks them.
 * Split in translation units as CoreMark is (list+main, matrix, state, util), so gcc inlines what it
 * would inline there and no more. */
#ifndef COREMIX_H
#define COREMIX_H
#include <stdint.h>

#define CM_DATA_BYTES 2000 /* CoreMark's TOTAL_DATA_SIZE for the performance run */
#define CM_PARTS 3

typedef struct cm_item { int16_t data16; int16_t idx; } cm_item;
typedef struct cm_node { struct cm_node *next; cm_item *info; } cm_node;
typedef struct cm_mat { uint32_t n; int16_t *a, *b; int32_t *c; } cm_mat;

typedef struct cm_run {
  int16_t seed1, seed2, seed3;
  uint32_t part_bytes;        /* bytes of each kernel's share of the data set */
  uint8_t *part[CM_PARTS];    /* list, matrix, state */
  cm_node *list;
  cm_mat mat;
  uint16_t crc, crclist, crcmatrix, crcstate;
} cm_run;

/* util */
uint16_t cm_crc8(uint8_t byte, uint16_t crc);
uint16_t cm_crc16(uint16_t v, uint16_t crc);
uint16_t cm_crc32(uint32_t v, uint16_t crc);
uint16_t cm_crcs16(int16_t v, uint16_t crc);
/* matrix */
uint32_t cm_matrix_init(uint32_t bytes, void *mem, int32_t seed, cm_mat *m);
uint16_t cm_matrix_bench(cm_mat *m, int16_t seed, uint16_t crc);
/* state */
void cm_state_init(uint32_t bytes, int16_t seed, uint8_t *text);
uint16_t cm_state_bench(uint32_t bytes, uint8_t *text, int16_t seed1, int16_t seed2, int16_t step, uint16_t crc);

#endif
