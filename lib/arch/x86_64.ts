/**
 * x86-64 register facts for unwinding: DWARF register numbers and names
 * (System V psABI, table "DWARF Register Number Mapping"), the kernel's
 * `struct pt_regs` layout, the mapping from the `NT_PRSTATUS` register names
 * of `lib/elf/core_notes.ts` to DWARF numbers, the default CFI rules of
 * registers a CIE/FDE does not mention, and the glibc static-TLS layout
 * (variant II: the thread pointer `fs_base` points at the TCB, TLS blocks
 * lie below it).
 *
 * Registers of a frame are passed around as a {@link DwarfRegisters} array
 * indexed by DWARF register number (`undefined` = not known).
 *
 * @module
 */

/** Register values indexed by DWARF register number; `undefined` means unknown. */
export type DwarfRegisters = (bigint | undefined)[];

/** Reads `size` bytes of target memory at `address` (throws `FaultError` if unreadable). */
export type ReadMemory = (address: bigint, size: number) => Uint8Array;

/** DWARF register numbers of the x86-64 general registers and friends. */
export const X86_64_DWARF = {
  rax: 0,
  rdx: 1,
  rcx: 2,
  rbx: 3,
  rsi: 4,
  rdi: 5,
  rbp: 6,
  rsp: 7,
  r8: 8,
  r9: 9,
  r10: 10,
  r11: 11,
  r12: 12,
  r13: 13,
  r14: 14,
  r15: 15,
  /** The return address column (the caller's `rip`). */
  rip: 16,
  rflags: 49,
  es: 50,
  cs: 51,
  ss: 52,
  ds: 53,
  fs: 54,
  gs: 55,
  fs_base: 58,
  gs_base: 59,
} as const;

/** Number of DWARF register numbers {@link x86_64RegisterName} knows (0 … 125). */
export const X86_64_DWARF_REGISTER_COUNT = 126;

const NAMES: (string | undefined)[] = (() => {
  const n: (string | undefined)[] = new Array(X86_64_DWARF_REGISTER_COUNT).fill(undefined);
  const gp = ["rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp"];
  gp.forEach((s, i) => (n[i] = s));
  for (let i = 8; i < 16; i++) n[i] = `r${i}`;
  n[16] = "rip";
  for (let i = 0; i < 16; i++) n[17 + i] = `xmm${i}`;
  for (let i = 0; i < 8; i++) n[33 + i] = `st${i}`;
  for (let i = 0; i < 8; i++) n[41 + i] = `mm${i}`;
  n[49] = "rflags";
  ["es", "cs", "ss", "ds", "fs", "gs"].forEach((s, i) => (n[50 + i] = s));
  n[58] = "fs.base";
  n[59] = "gs.base";
  n[62] = "tr";
  n[63] = "ldtr";
  n[64] = "mxcsr";
  n[65] = "fcw";
  n[66] = "fsw";
  for (let i = 16; i < 32; i++) n[67 + i - 16] = `xmm${i}`;
  for (let i = 0; i < 8; i++) n[118 + i] = `k${i}`;
  return n;
})();

const NUMBERS = new Map<string, number>();
NAMES.forEach((name, i) => {
  if (name !== undefined) NUMBERS.set(name, i);
});
// Aliases: the spellings of user_regs_struct / pt_regs and drgn.
NUMBERS.set("fs_base", 58);
NUMBERS.set("gs_base", 59);
NUMBERS.set("eflags", 49);
NUMBERS.set("flags", 49);

/**
 * The name of x86-64 DWARF register `regno` as binutils and drgn spell it
 * (`rax`, `r12`, `rip`, `xmm3`, `fs.base`), or `r<N>` for a number with no
 * name.
 */
export function x86_64RegisterName(regno: number): string {
  return NAMES[regno] ?? `r${regno}`;
}

/**
 * The DWARF register number of an x86-64 register name (`"rbp"` → 6),
 * accepting the `user_regs_struct` spellings `eflags`, `fs_base` and
 * `gs_base`; undefined for an unknown name.
 */
export function x86_64RegisterNumber(name: string): number | undefined {
  return NUMBERS.get(name);
}

/**
 * Byte offsets of the members of the x86-64 kernel's `struct pt_regs`
 * (`arch/x86/include/asm/ptrace.h`), 168 bytes in all. `orig_ax` and `ip`
 * … `ss` (the hardware interrupt frame) follow the saved general registers.
 */
export const PT_REGS = {
  r15: 0,
  r14: 8,
  r13: 16,
  r12: 24,
  bp: 32,
  bx: 40,
  r11: 48,
  r10: 56,
  r9: 64,
  r8: 72,
  ax: 80,
  cx: 88,
  dx: 96,
  si: 104,
  di: 112,
  orig_ax: 120,
  ip: 128,
  cs: 136,
  flags: 144,
  sp: 152,
  ss: 160,
} as const;

/** `sizeof(struct pt_regs)` on x86-64. */
export const PT_REGS_SIZE = 168;

/** `offsetof(struct pt_regs, ip)`: where an interrupt frame (`IRET_FRAME_OFFSET`) starts. */
export const IRET_FRAME_OFFSET = 128;

/** `struct pt_regs` members in order, with their DWARF register numbers (-1: none). */
const PT_REGS_DWARF: readonly (readonly [string, number])[] = [
  ["r15", 15],
  ["r14", 14],
  ["r13", 13],
  ["r12", 12],
  ["bp", 6],
  ["bx", 3],
  ["r11", 11],
  ["r10", 10],
  ["r9", 9],
  ["r8", 8],
  ["ax", 0],
  ["cx", 2],
  ["dx", 1],
  ["si", 4],
  ["di", 5],
  ["orig_ax", -1],
  ["ip", 16],
  ["cs", 51],
  ["flags", 49],
  ["sp", 7],
  ["ss", 52],
];

/**
 * Decodes a `struct pt_regs` (168 bytes, little-endian) into DWARF-numbered
 * registers. With `partial`, only the interrupt frame (`ip cs flags sp ss`)
 * is taken, for `bytes` that start at `offsetof(struct pt_regs, ip)` (the
 * ORC `REGS_PARTIAL` case: 40 bytes suffice).
 */
export function ptRegsToDwarf(bytes: Uint8Array, partial = false): DwarfRegisters {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: DwarfRegisters = [];
  const first = partial ? 16 : 0;
  const base = partial ? IRET_FRAME_OFFSET : 0;
  const need = (PT_REGS_DWARF.length - first) * 8;
  if (bytes.length < need) {
    throw new RangeError(`struct pt_regs needs ${need} bytes, got ${bytes.length}`);
  }
  for (let i = first; i < PT_REGS_DWARF.length; i++) {
    const regno = PT_REGS_DWARF[i]![1];
    if (regno >= 0) out[regno] = v.getBigUint64(i * 8 - base, true);
  }
  return out;
}

/**
 * DWARF-numbered registers from the `NT_PRSTATUS` register record of a core
 * (`Prstatus.registers` of `lib/elf/core_notes.ts`, keyed by the
 * `user_regs_struct` names `r15 … gs`). `orig_rax` has no DWARF number and
 * is dropped; `fs_base`/`gs_base` map to 58/59 (needed for TLS).
 */
export function prstatusToDwarf(registers: Readonly<Record<string, bigint>>): DwarfRegisters {
  const out: DwarfRegisters = [];
  for (const [name, value] of Object.entries(registers)) {
    const n = x86_64RegisterNumber(name);
    if (n !== undefined) out[n] = value;
  }
  return out;
}

/**
 * The CFI rule of a register that neither the CIE nor the FDE mentions, as
 * drgn and the psABI assume: the callee-saved registers `rbx rbp r12–r15`
 * keep their value (`same_value`), the stack pointer is the CFA
 * (`val_offset(0)`), every other register is undefined in the caller.
 */
export function x86_64DefaultRule(regno: number): "same_value" | "cfa" | "undefined" {
  switch (regno) {
    case 3:
    case 6:
    case 12:
    case 13:
    case 14:
    case 15:
      return "same_value";
    case 7:
      return "cfa";
    default:
      return "undefined";
  }
}

/** A module's `PT_TLS` segment, as glibc's loader sees it. */
export interface TlsSegment {
  /** `p_memsz`: the TLS block size. */
  readonly memsz: number;
  /** `p_align` (0 or 1: no alignment). */
  readonly align: number;
  /** `p_vaddr`: only its remainder modulo `align` matters (`l_tls_firstbyte_offset`). */
  readonly vaddr: bigint;
}

/**
 * The static TLS offsets glibc (`_dl_determine_tlsoffset`, variant II, TLS
 * below the TCB) gives the modules loaded at start-up, in load order (the
 * main executable first, then its libraries in link-map order, only those
 * with a `PT_TLS`): module `i`'s TLS block starts at `fs_base - offsets[i]`.
 * Gaps left by alignment are reused the way glibc does.
 */
export function staticTlsOffsets(modules: readonly TlsSegment[]): number[] {
  let offset = 0;
  let freeTop = 0;
  let freeBottom = 0;
  const out: number[] = [];
  for (const m of modules) {
    const align = m.align > 1 ? m.align : 1;
    if ((align & (align - 1)) !== 0) {
      throw new RangeError(`TLS alignment ${align} is not a power of 2`);
    }
    const firstByteOffset = Number(m.vaddr & BigInt(align - 1));
    const firstByte = (align - firstByteOffset) & (align - 1);
    const roundUp = (x: number) => Math.ceil(x / align) * align;
    if (freeBottom - freeTop >= m.memsz) {
      const off = roundUp(freeTop + m.memsz - firstByte) + firstByte;
      if (off <= freeBottom) {
        freeTop = off;
        out.push(off);
        continue;
      }
    }
    const off = roundUp(offset + m.memsz - firstByte) + firstByte;
    if (off > offset + m.memsz + (freeBottom - freeTop)) {
      freeTop = offset;
      freeBottom = off - m.memsz;
    }
    offset = off;
    out.push(off);
  }
  return out;
}

/**
 * The address of a thread-local variable of a module in static TLS: the
 * thread pointer (`fs_base`) minus the module's static TLS offset (from
 * {@link staticTlsOffsets}; for the main executable it is
 * `staticTlsOffsets([exeTls])[0]`) plus the variable's offset in the TLS
 * block (the operand of `DW_OP_form_tls_address`).
 */
export function staticTlsAddress(fsBase: bigint, moduleOffset: number, offset: bigint): bigint {
  return BigInt.asUintN(64, fsBase - BigInt(moduleOffset) + offset);
}

/** glibc's `TLS_DTV_UNALLOCATED`: a DTV slot of a module whose block is not allocated yet. */
const TLS_DTV_UNALLOCATED = 0xffffffffffffffffn;

/**
 * The address of a thread-local variable through the thread's dynamic
 * thread vector (works for modules loaded with `dlopen` too): glibc's
 * `tcbhead_t` at `fs_base` holds `dtv` at offset 8; `dtv[modid]` (16-byte
 * `dtv_t` entries) points at the module's block. `moduleId` is the link
 * map's `l_tls_modid` (1 for the main executable). Returns null when the
 * block is not allocated in this thread.
 */
export function dtvTlsAddress(
  read: ReadMemory,
  fsBase: bigint,
  moduleId: number,
  offset: bigint,
): bigint | null {
  const u64 = (a: bigint) => {
    const b = read(a, 8);
    return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
  };
  const dtv = u64(BigInt.asUintN(64, fsBase + 8n));
  const block = u64(BigInt.asUintN(64, dtv + 16n * BigInt(moduleId)));
  if (block === TLS_DTV_UNALLOCATED) return null;
  return BigInt.asUintN(64, block + offset);
}
