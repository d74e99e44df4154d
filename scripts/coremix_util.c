/* coremix: CRC-16 (reflected polynomial 0xA001, bit by bit as CoreMark computes it). */
#include "coremix.h"

uint16_t cm_crc8(uint8_t byte, uint16_t crc) {
  for (int bit = 0; bit < 8; bit++) {
    uint8_t feedback = (uint8_t)((byte ^ (uint8_t)crc) & 1);
    byte >>= 1;
    if (feedback) crc ^= 0x4002; /* the taps below bit 15, applied before the shift */
    crc >>= 1;
    if (feedback) crc |= 0x8000;
    else crc &= 0x7fff;
  }
  return crc;
}

uint16_t cm_crc16(uint16_t v, uint16_t crc) {
  crc = cm_crc8((uint8_t)v, crc);
  return cm_crc8((uint8_t)(v >> 8), crc);
}

uint16_t cm_crcs16(int16_t v, uint16_t crc) { return cm_crc16((uint16_t)v, crc); }

uint16_t cm_crc32(uint32_t v, uint16_t crc) {
  crc = cm_crcs16((int16_t)v, crc);
  return cm_crcs16((int16_t)(v >> 16), crc);
}
