/* Reset, vector table and fault handling for every supported core (v6-M, v7-M, v7E-M, v8-M, v8.1-M).
 *
 * Memory layout (from the linker script tfedge/build/linker.py writes): the stack sits at the BOTTOM
 * of its RAM region, so an overflow runs off the region into unmapped memory and faults instead of
 * silently corrupting data; v8-M cores also get MSPLIM. The stack is painted at boot so the harness
 * can report its high-water mark. */
#include <stdint.h>
#include <string.h>

#include "console.h"
#include "semihosting.h"
#include "tfedge_firmware.h"

extern uint32_t __data_load[], __data_start[], __data_end[];
extern uint32_t __bss_start[], __bss_end[], __arena_start[], __arena_end[];
extern uint32_t __stack_bottom[], __stack_top[];

int main(void);
void Reset_Handler(void);
void HardFault_Handler(void);
void Default_Handler(void);

#define SCB_VTOR (*(volatile uint32_t *)0xE000ED08u)
#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)
#define SCB_CFSR (*(volatile uint32_t *)0xE000ED28u)
#define SCB_HFSR (*(volatile uint32_t *)0xE000ED2Cu)
#define SCB_MMFAR (*(volatile uint32_t *)0xE000ED34u)
#define SCB_BFAR (*(volatile uint32_t *)0xE000ED38u)

/* Cortex-M vector table: initial SP, then the 15 system exceptions (IRQs are not used). */
__attribute__((section(".vectors"), used)) void (*const tfedge_vectors[16])(void) = {
    (void (*)(void))__stack_top, Reset_Handler, Default_Handler, HardFault_Handler,
    HardFault_Handler, HardFault_Handler, HardFault_Handler, HardFault_Handler, /* MemManage, BusFault, UsageFault, SecureFault */
    0, 0, 0, Default_Handler, Default_Handler, 0, Default_Handler, Default_Handler,
};

void Reset_Handler(void) {
#if defined(__ARM_FP) || defined(__ARM_FEATURE_MVE)
  SCB_CPACR |= (0xfu << 20); /* CP10/CP11 full access: FPU and Helium */
  __asm__ volatile("dsb\n isb");
#endif
#if defined(__ARM_ARCH_8M_MAIN__) || defined(__ARM_ARCH_8_1M_MAIN__) || defined(__ARM_ARCH_8M_BASE__)
  /* Hardware stack limit: an overflow raises a precise STKOF UsageFault. */
  __asm__ volatile("msr msplim, %0" ::"r"(__stack_bottom));
#endif
  memcpy(__data_start, __data_load, (size_t)((char *)__data_end - (char *)__data_start));
  memset(__bss_start, 0, (size_t)((char *)__bss_end - (char *)__bss_start));
  memset(__arena_start, 0, (size_t)((char *)__arena_end - (char *)__arena_start));
  /* Paint the free part of the stack (below what Reset_Handler itself uses). */
  uint32_t sp;
  __asm__ volatile("mov %0, sp" : "=r"(sp));
  for (uint32_t *p = __stack_bottom; (uint32_t)p < sp - 64u; p++) *p = TFEDGE_STACK_PAINT;
  console_init();
  sh_exit(main());
}

uint32_t tfedge_stack_used(void) {
  uint32_t *p = __stack_bottom;
  while (p < __stack_top && *p == TFEDGE_STACK_PAINT) p++;
  return (uint32_t)((char *)__stack_top - (char *)p);
}

uint32_t tfedge_stack_size(void) { return (uint32_t)((char *)__stack_top - (char *)__stack_bottom); }

void Default_Handler(void) {
  console_puts("tfedge: unexpected exception\n");
  sh_exit(TFEDGE_EXIT_FAULT);
}

/* The fault report runs on its own small stack: the main stack may be what overflowed. Its deepest chain,
 * fault_report -> console_put_hex -> console_puts, takes 44 B (-fstack-usage: 8 + 32 + 4; sh_exit 8): 128 B keep
 * a 2.9x margin (it is RAM the model's budget counts, docs/memory.md). */
#define FAULT_STACK_WORDS 32
static uint32_t fault_stack[FAULT_STACK_WORDS];
uint32_t *const tfedge_fault_stack_top = &fault_stack[FAULT_STACK_WORDS];

__attribute__((used, noreturn)) static void fault_report(uint32_t *frame, uint32_t exc_return) {
  (void)exc_return;
  uint32_t sp = (uint32_t)frame;
  int overflow = sp < (uint32_t)__stack_bottom + 32u || sp > (uint32_t)__stack_top;
#if !defined(__ARM_ARCH_6M__) && !defined(__ARM_ARCH_8M_BASE__)
  uint32_t cfsr = SCB_CFSR, hfsr = SCB_HFSR;
  if (cfsr & (1u << 20)) overflow = 1;                         /* UFSR.STKOF (v8-M stack limit) */
  if (cfsr & ((1u << 4) | (1u << 12))) overflow = 1;           /* MSTKERR / STKERR: fault while stacking */
#endif
  if (overflow) {
    console_puts("tfedge: STACK OVERFLOW sp=");
    console_put_hex(sp);
    console_puts(" stack_bottom=");
    console_put_hex((uint32_t)__stack_bottom);
    console_puts(" stack_size=");
    console_put_u32(tfedge_stack_size());
#if !defined(__ARM_ARCH_6M__) && !defined(__ARM_ARCH_8M_BASE__)
    console_puts(" cfsr=");
    console_put_hex(cfsr);
#endif
    console_puts("\n");
    sh_exit(TFEDGE_EXIT_STACK_OVERFLOW);
  }
  console_puts("tfedge: HARDFAULT");
#if !defined(__ARM_ARCH_6M__) && !defined(__ARM_ARCH_8M_BASE__)
  console_puts(" cfsr=");
  console_put_hex(cfsr);
  console_puts(" hfsr=");
  console_put_hex(hfsr);
  console_puts(" mmfar=");
  console_put_hex(SCB_MMFAR);
  console_puts(" bfar=");
  console_put_hex(SCB_BFAR);
#endif
  console_puts(" pc=");
  console_put_hex(frame[6]);
  console_puts(" lr=");
  console_put_hex(frame[5]);
  console_puts(" sp=");
  console_put_hex(sp);
  console_puts("\n");
  sh_exit(TFEDGE_EXIT_FAULT);
}

/* Entry: pick the stack the exception frame went to, switch to the fault stack, report.
 * Written with v6-M instructions only so that one handler serves every core. */
__attribute__((naked)) void HardFault_Handler(void) {
  __asm__ volatile(
      "movs r0, #4\n"
      "mov r1, lr\n"
      "tst r0, r1\n"
      "beq 1f\n"
      "mrs r0, psp\n"
      "b 2f\n"
      "1: mrs r0, msp\n"
      "2: ldr r2, =tfedge_fault_stack_top\n"
      "ldr r2, [r2]\n"
      "mov sp, r2\n"
      "ldr r2, =fault_report\n"
      "bx r2\n");
}
