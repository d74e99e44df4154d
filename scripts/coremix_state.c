/* coremix: the state-machine kernel. The part holds comma-separated numbers in four shapes (integers,
 * fixed point, scientific, malformed) chosen by the seed; each bench call scans the string token by token
 * through an 8-state recogniser counting the transitions, flips bits of every step-th byte, scans again,
 * and flips them back. */
#include "coremix.h"

enum { ST_START, ST_INVALID, ST_S1, ST_S2, ST_INT, ST_FLOAT, ST_EXPONENT, ST_SCIENTIFIC, ST_COUNT };

static const char *const ints[4] = {"5012", "1234", "-874", "+122"};
static const char *const fixeds[4] = {"35.54400", ".1234500", "-110.700", "+0.64400"};
static const char *const sciences[4] = {"5.500e+3", "-.123e-2", "-87e+832", "+0.6e-12"};
static const char *const bads[4] = {"T0.3e-1F", "-T.T++Tq", "1T3.4e4z", "34.0e-T^"};

void cm_state_init(uint32_t bytes, int16_t seed, uint8_t *text) {
  uint32_t used = 0, len = 0;
  const char *tok = 0;
  uint16_t s = (uint16_t)seed;
  bytes--; /* room for the terminating 0 */
  while (used + len + 1 < bytes) {
    if (len > 0) { /* the token chosen last time fits: append it and a comma */
      for (uint32_t i = 0; i < len; i++) text[used + i] = (uint8_t)tok[i];
      text[used + len] = ',';
      used += len + 1;
    }
    s++;
    switch (s & 7) {
      case 0: case 1: case 2: tok = ints[(s >> 3) & 3]; len = 4; break;
      case 3: case 4: tok = fixeds[(s >> 3) & 3]; len = 8; break;
      case 5: case 6: tok = sciences[(s >> 3) & 3]; len = 8; break;
      default: tok = bads[(s >> 3) & 3]; len = 8; break;
    }
  }
  for (bytes++; used < bytes; used++) text[used] = 0;
}

static uint8_t is_digit(uint8_t c) { return (c >= '0') & (c <= '9'); } /* both compares, no branch */

/* One token from *at: returns the state it ends in, leaves *at after it (past its comma when the token
 * was read to the end, right after the first offending character when it turned invalid). */
int recognise(uint8_t **at, uint32_t *moves) {
  uint8_t *p = *at;
  int st = ST_START;
  for (; *p && st != ST_INVALID; p++) {
    uint8_t c = *p;
    if (c == ',') {
      p++;
      break;
    }
    switch (st) {
      case ST_START:
        if (is_digit(c)) st = ST_INT;
        else if (c == '+' || c == '-') st = ST_S1;
        else if (c == '.') st = ST_FLOAT;
        else {
          st = ST_INVALID;
          moves[ST_INVALID]++;
        }
        moves[ST_START]++;
        break;
      case ST_S1:
        st = is_digit(c) ? ST_INT : c == '.' ? ST_FLOAT : ST_INVALID;
        moves[ST_S1]++;
        break;
      case ST_INT:
        if (c == '.') {
          st = ST_FLOAT;
          moves[ST_INT]++;
        } else if (!is_digit(c)) {
          st = ST_INVALID;
          moves[ST_INT]++;
        }
        break;
      case ST_FLOAT:
        if (c == 'E' || c == 'e') {
          st = ST_S2;
          moves[ST_FLOAT]++;
        } else if (!is_digit(c)) {
          st = ST_INVALID;
          moves[ST_FLOAT]++;
        }
        break;
      case ST_S2:
        st = (c == '+' || c == '-') ? ST_EXPONENT : ST_INVALID;
        moves[ST_S2]++;
        break;
      case ST_EXPONENT:
        st = is_digit(c) ? ST_SCIENTIFIC : ST_INVALID;
        moves[ST_EXPONENT]++;
        break;
      case ST_SCIENTIFIC:
        if (!is_digit(c)) {
          st = ST_INVALID;
          moves[ST_INVALID]++;
        }
        break;
      default: break;
    }
  }
  *at = p;
  return st;
}

uint16_t cm_state_bench(uint32_t bytes, uint8_t *text, int16_t seed1, int16_t seed2, int16_t step, uint16_t crc) {
  uint32_t ends[ST_COUNT], moves[ST_COUNT];
  for (int i = 0; i < ST_COUNT; i++) ends[i] = moves[i] = 0;
  uint8_t *p = text;
  while (*p) ends[recognise(&p, moves)]++;
  for (p = text; p < text + bytes; p += step)
    if (*p != ',') *p ^= (uint8_t)seed1;
  p = text;
  while (*p) ends[recognise(&p, moves)]++;
  for (p = text; p < text + bytes; p += step)
    if (*p != ',') *p ^= (uint8_t)seed2;
  for (int i = 0; i < ST_COUNT; i++) {
    crc = cm_crc32(ends[i], crc);
    crc = cm_crc32(moves[i], crc);
  }
  return crc;
}
