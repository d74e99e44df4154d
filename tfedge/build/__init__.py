"""Firmware builds: toolchain flags, linker scripts from board files, cached ELF builds, ELF sizes."""
