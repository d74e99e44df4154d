/* Arm semihosting (BKPT 0xAB): console, host files and exit with a status code.
 * QEMU serves these when started with -semihosting-config enable=on,target=native. */
#ifndef TFEDGE_SEMIHOSTING_H
#define TFEDGE_SEMIHOSTING_H

#include <stddef.h>
#include <stdint.h>

enum { SH_MODE_RB = 1, SH_MODE_WB = 5 }; /* fopen-style modes "rb" and "wb" */

int sh_open(const char *path, int mode);           /* handle, or -1 */
int sh_close(int handle);
size_t sh_read(int handle, void *buf, size_t len);  /* bytes read */
size_t sh_write(int handle, const void *buf, size_t len); /* bytes written */
void sh_write0(const char *text);                   /* NUL-terminated text to the host console */
__attribute__((noreturn)) void sh_exit(int status); /* ends the emulator with this exit status */

#endif
