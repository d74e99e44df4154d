/* Byte copies of the data-movement kernels (split, gather, slice runs). */
#ifndef TFEDGE_COPY_H
#define TFEDGE_COPY_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A run of a few bytes (a split or gather of single channels) is a byte loop: a memcpy call costs about
 * ten times that copy; longer runs go to memcpy. */
static inline void tfedge_copy_s8(int8_t *dst, const int8_t *src, int32_t n) {
  if (n < 16) {
    while (n-- > 0) *dst++ = *src++;
  } else {
    memcpy(dst, src, (size_t)n);
  }
}

#endif /* TFEDGE_COPY_H */
