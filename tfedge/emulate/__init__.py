"""Running firmware on emulated boards (QEMU; Renode files) and measuring it."""
