#include "console.h"

#include "semihosting.h"

#define REG32(addr) (*(volatile uint32_t *)(addr))

#if defined(TFEDGE_CONSOLE_UART_CMSDK)
/* Arm CMSDK APB UART (MPS2/MPS3): DATA, STATE (bit0 TX full), CTRL (bit0 TX enable), BAUDDIV */
void console_init(void) {
  REG32(TFEDGE_UART_BASE + 0x10) = 16;  /* BAUDDIV: any value >= 16 is valid */
  REG32(TFEDGE_UART_BASE + 0x08) = 1;   /* CTRL: TX enable */
}
static void put_char(char c) {
  while (REG32(TFEDGE_UART_BASE + 0x04) & 1) {
  }
  REG32(TFEDGE_UART_BASE + 0x00) = (uint8_t)c;
}
#elif defined(TFEDGE_CONSOLE_UART_STM32)
/* STM32F4 USART: SR (bit7 TXE), DR, CR1 (UE bit13, TE bit3) */
void console_init(void) { REG32(TFEDGE_UART_BASE + 0x0c) = (1u << 13) | (1u << 3); }
static void put_char(char c) {
  while (!(REG32(TFEDGE_UART_BASE + 0x00) & (1u << 7))) {
  }
  REG32(TFEDGE_UART_BASE + 0x04) = (uint8_t)c;
}
#elif defined(TFEDGE_CONSOLE_UART_NRF51)
/* nRF51 UART: ENABLE = 4, TASKS_STARTTX, TXD, EVENTS_TXDRDY */
void console_init(void) {
  REG32(TFEDGE_UART_BASE + 0x500) = 4;
  REG32(TFEDGE_UART_BASE + 0x008) = 1;
}
static void put_char(char c) {
  REG32(TFEDGE_UART_BASE + 0x11c) = 0;
  REG32(TFEDGE_UART_BASE + 0x51c) = (uint8_t)c;
  while (!REG32(TFEDGE_UART_BASE + 0x11c)) {
  }
}
#else
#define TFEDGE_CONSOLE_SEMIHOSTING 1
void console_init(void) {}
#endif

void console_puts(const char *text) {
#ifdef TFEDGE_CONSOLE_SEMIHOSTING
  sh_write0(text);
#else
  for (; *text; text++) {
    if (*text == '\n') put_char('\r');
    put_char(*text);
  }
#endif
}

void console_put_u32(uint32_t value) {
  char buf[11];
  int i = 10;
  buf[i] = 0;
  do {
    buf[--i] = (char)('0' + value % 10);
    value /= 10;
  } while (value);
  console_puts(&buf[i]);
}

void console_put_hex(uint32_t value) {
  char buf[11] = "0x";
  for (int i = 0; i < 8; i++) buf[2 + i] = "0123456789abcdef"[(value >> (28 - 4 * i)) & 0xf];
  buf[10] = 0;
  console_puts(buf);
}
