/* Text output through the board's console: semihosting, or the board's UART when the build
 * defines TFEDGE_CONSOLE_UART_CMSDK / _STM32 / _NRF51 (with TFEDGE_UART_BASE). */
#ifndef TFEDGE_CONSOLE_H
#define TFEDGE_CONSOLE_H

#include <stdint.h>

void console_init(void);
void console_puts(const char *text);
void console_put_u32(uint32_t value);     /* decimal */
void console_put_hex(uint32_t value);     /* 0x%08x */

#endif
