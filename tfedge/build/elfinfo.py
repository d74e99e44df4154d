"""Sizes and symbols from a firmware ELF (pyelftools): flash and RAM use, symbol lookup for faults."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from pathlib import Path

from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from tfedge.errors import FirmwareError

SHF_ALLOC, SHF_WRITE, SHF_EXECINSTR = 0x2, 0x1, 0x4


@dataclass(frozen=True)
class ElfSizes:
    text: int     # code (vectors, .text, exception tables)
    rodata: int   # constants: weights, tables
    data: int     # initialised data (in flash as a load image AND in RAM)
    bss: int      # zeroed data, without the arena
    arena: int    # the model's activation arena (.arena, symbol tfedge_arena)
    stack_reserved: int

    @property
    def flash(self) -> int:
        return self.text + self.rodata + self.data

    @property
    def static_ram(self) -> int:
        """RAM known at link time apart from the stack: data + bss + arena."""
        return self.data + self.bss + self.arena


def elf_sizes(elf: Path) -> ElfSizes:
    sizes = dict(text=0, rodata=0, data=0, bss=0, arena=0, stack_reserved=0)
    with open(elf, "rb") as f:
        for sec in ELFFile(f).iter_sections():
            flags, name, size = sec["sh_flags"], sec.name, sec["sh_size"]
            if not flags & SHF_ALLOC or size == 0:
                continue
            if name == ".stack":
                sizes["stack_reserved"] += size
            elif name == ".arena":
                sizes["arena"] += size
            elif sec["sh_type"] == "SHT_NOBITS":
                sizes["bss"] += size
            elif flags & SHF_EXECINSTR or name.startswith((".vectors", ".ARM")):
                sizes["text"] += size
            elif flags & SHF_WRITE:
                sizes["data"] += size
            else:
                sizes["rodata"] += size
    return ElfSizes(**sizes)


def region_usage(elf: Path, board) -> list[dict]:
    """Bytes each memory region of `board` holds as linked (the stack at its reserved size; .data
    counted in RAM and, as its load image, in the region that holds text)."""
    used = {r.name: 0 for r in board.memory}

    def region_of(addr: int) -> str | None:
        for r in board.memory:
            if r.origin <= addr < r.origin + r.size:
                return r.name
        return None

    with open(elf, "rb") as f:
        elffile = ELFFile(f)
        for sec in elffile.iter_sections():
            if not sec["sh_flags"] & SHF_ALLOC or sec["sh_size"] == 0:
                continue
            name = region_of(sec["sh_addr"])
            if name:
                used[name] += sec["sh_size"]
        for seg in elffile.iter_segments():  # load images placed elsewhere than they run (.data)
            if seg["p_type"] == "PT_LOAD" and seg["p_filesz"] and seg["p_paddr"] != seg["p_vaddr"]:
                name = region_of(seg["p_paddr"])
                if name:
                    used[name] += seg["p_filesz"]
    return [{"name": r.name, "kind": r.kind, "holds": list(r.holds), "used_bytes": used[r.name], "size_bytes": r.size,
             "percent": 100.0 * used[r.name] / r.size} for r in board.memory]


class SymbolTable:
    """Function/object symbols of an ELF, for address -> 'name+offset' and name -> address."""

    def __init__(self, elf: Path):
        self._by_name: dict[str, int] = {}
        entries = []
        with open(elf, "rb") as f:
            for sec in ELFFile(f).iter_sections():
                if not isinstance(sec, SymbolTableSection):
                    continue
                for sym in sec.iter_symbols():
                    kind = sym["st_info"]["type"]
                    if kind not in ("STT_FUNC", "STT_OBJECT") or not sym.name:
                        continue
                    addr = sym["st_value"] & ~1 if kind == "STT_FUNC" else sym["st_value"]
                    self._by_name.setdefault(sym.name, addr)
                    entries.append((addr, max(1, sym["st_size"]), sym.name))
        entries.sort()
        self._starts = [e[0] for e in entries]
        self._entries = entries

    def address(self, name: str) -> int:
        try:
            return self._by_name[name]
        except KeyError:
            raise FirmwareError(f"symbol {name} not found in the firmware ELF") from None

    def has(self, name: str) -> bool:
        return name in self._by_name

    def describe(self, address: int) -> str:
        """'function+0xoff' for an address inside a known symbol, else '?'."""
        i = bisect.bisect_right(self._starts, address & ~1) - 1
        while i >= 0:
            start, size, name = self._entries[i]
            if start <= address < start + size:
                return f"{name}+0x{address - start:x}"
            if start < address - 0x10000:
                break
            i -= 1
        return "?"


def code_by_source(elf: Path) -> dict[str, int]:
    """Code bytes per source file: each function symbol's size, attributed through the DWARF address ranges to
    the compile unit holding it (its file name, e.g. "conv_packed_s8_nhwc.c"); functions without debug
    information (newlib's memcpy, libgcc) under "(libc)". Needs the ELF built with -g, as build_firmware does."""
    sizes: dict[str, int] = {}
    with open(elf, "rb") as f:
        ef = ELFFile(f)
        units: dict[int, str] = {}
        aranges = None
        if ef.has_dwarf_info():
            dwarf = ef.get_dwarf_info()
            aranges = dwarf.get_aranges()
            for cu in dwarf.iter_CUs():
                name = cu.get_top_DIE().attributes.get("DW_AT_name")
                units[cu.cu_offset] = Path(name.value.decode(errors="replace")).name if name else "?"
        seen: set[int] = set()
        for sec in ef.iter_sections():
            if not isinstance(sec, SymbolTableSection):
                continue
            for sym in sec.iter_symbols():
                if sym["st_info"]["type"] != "STT_FUNC" or not sym["st_size"]:
                    continue
                addr = sym["st_value"] & ~1
                if addr in seen:
                    continue
                seen.add(addr)
                cu = aranges.cu_offset_at_addr(addr) if aranges is not None else None
                unit = units.get(cu, "(libc)") if cu is not None else "(libc)"
                sizes[unit] = sizes.get(unit, 0) + sym["st_size"]
    return sizes
