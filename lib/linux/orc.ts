/**
 * The x86-64 kernel's ORC unwind tables (`.orc_unwind_ip`: s32 entries
 * relative to their own address; `.orc_unwind`: 6-byte `struct orc_entry`),
 * for vmlinux and modules, and the ORC unwind step of the kernel's
 * `arch/x86/kernel/unwind_orc.c`.
 *
 * `struct orc_entry` is `s16 sp_offset; s16 bp_offset;` and 16 bits of
 * fields whose meaning changed twice (`arch/x86/include/asm/orc_types.h`;
 * version numbers as drgn names them):
 *
 * | version | kernels | bits 0–3 | 4–7 | 8–10 | 11 |
 * |---|---|---|---|---|---|
 * | 1 | v4.14 – v6.2 | sp_reg | bp_reg | type:2, end:1 | – |
 * | 2 | v6.3 (commit ffb1b4a41016, "x86/unwind/orc: Add 'signal' field to ORC metadata") | sp_reg | bp_reg | type:2, signal:1 | end |
 * | 3 | v6.4+ (commit fb799447ae29, "x86,objtool: Split UNWIND_HINT_EMPTY in two") | sp_reg | bp_reg | type:3 | signal |
 *
 * Version 1/2 types: CALL 0, REGS 1, REGS_PARTIAL 2. Version 3 types:
 * UNDEFINED 0, END_OF_STACK 1, CALL 2, REGS 3, REGS_PARTIAL 4. The version
 * is taken from {@link OrcOptions.version}, else from `.orc_header` being
 * present (v6.4+, always version 3), else from the kernel release, else
 * guessed from the entries: most entries are CALL entries, which are 0 in
 * bits 8–10 under versions 1/2 and 2 under version 3; version 2 sets bit 11
 * on its end-of-stack entries, which version 1 never does. The Debian 6.1
 * kernel of the fixtures is version 1.
 *
 * Addresses are link-time addresses plus a relocation offset (the KASLR
 * offset for vmlinux, e.g. 0x6800000 in the fixture dumps; for a module,
 * pass its relocated `.orc_unwind_ip` bytes and the section's load address).
 *
 * @module
 */

import { DecodeError, hex } from "../errors.ts";
import {
  type DwarfRegisters,
  IRET_FRAME_OFFSET,
  PT_REGS_SIZE,
  ptRegsToDwarf,
  type ReadMemory,
} from "../arch/x86_64.ts";

/** `ORC_REG_*`: base registers of the SP and BP rules. */
export const ORC_REG = {
  UNDEFINED: 0,
  PREV_SP: 1,
  DX: 2,
  DI: 3,
  BP: 4,
  SP: 5,
  R10: 6,
  R13: 7,
  BP_INDIRECT: 8,
  SP_INDIRECT: 9,
} as const;

/** An entry's type, normalized over the format versions. */
export type OrcType = "undefined" | "end_of_stack" | "call" | "regs" | "regs_partial";

/** A decoded `struct orc_entry`. */
export interface OrcEntry {
  /** Offset added to the `spReg` base to get the previous frame's SP. */
  readonly spOffset: number;
  /** Offset of the saved BP from the `bpReg` base. */
  readonly bpOffset: number;
  /** `ORC_REG_*` of the SP rule. */
  readonly spReg: number;
  /** `ORC_REG_*` of the BP rule. */
  readonly bpReg: number;
  /**
   * The type. Under versions 1/2, an entry with `sp_reg` UNDEFINED is
   * `end_of_stack` if its end bit is set and `undefined` otherwise.
   */
  readonly type: OrcType;
  /** The `signal` bit (versions 2/3); under version 1, true for REGS and REGS_PARTIAL. */
  readonly signal: boolean;
}

/** ORC format version (see the module documentation). */
export type OrcVersion = 1 | 2 | 3;

/** Options of {@link OrcTable.parse}. */
export interface OrcOptions {
  /** Link-time (or, for a module, load) address of the `.orc_unwind_ip` section. */
  readonly ipSectionAddress: bigint;
  /** Added to every address (the KASLR offset); default 0. */
  readonly relocation?: bigint;
  /** The format version, if known. */
  readonly version?: OrcVersion;
  /** Whether the file has an `.orc_header` section (Linux 6.4+). */
  readonly hasOrcHeader?: boolean;
  /** The kernel release (`6.1.0-56-amd64`), used when the version is not given. */
  readonly kernelRelease?: string;
  /** Section names for errors (default `.orc_unwind_ip`). */
  readonly section?: string;
}

/** The version an entry table most likely uses (see the module documentation). */
export function guessOrcVersion(unwind: Uint8Array): OrcVersion {
  const v = new DataView(unwind.buffer, unwind.byteOffset, unwind.byteLength);
  const n = Math.floor(unwind.length / 6);
  let v12call = 0, v3call = 0, bit11 = 0;
  for (let i = 0; i < n; i++) {
    const f = v.getUint16(i * 6 + 4, true);
    const t3 = (f >> 8) & 7;
    if (t3 === 0) v12call++;
    else if (t3 === 2) v3call++;
    if (f & 0x800) bit11++;
  }
  if (v3call > v12call) return 3;
  return bit11 > 0 ? 2 : 1;
}

function versionFromRelease(release: string): OrcVersion | undefined {
  const m = /^(\d+)\.(\d+)/.exec(release);
  if (m === null) return undefined;
  const major = Number(m[1]), minor = Number(m[2]);
  if (major > 6 || (major === 6 && minor >= 4)) return 3;
  if (major === 6 && minor === 3) return 2;
  return 1;
}

/**
 * An ORC table, sorted by IP for binary search.
 *
 * @example
 * ```ts ignore
 * const elf = ElfFile.open("vmlinux");
 * const orc = OrcTable.parse(elf.sectionData(".orc_unwind_ip"), elf.sectionData(".orc_unwind"), {
 *   ipSectionAddress: elf.section(".orc_unwind_ip")!.addr,
 *   relocation: kaslrOffset,
 * });
 * const entry = orc.entryForPc(pc);
 * ```
 */
export class OrcTable {
  /** Number of entries. */
  readonly count: number;
  /** The format version in use. */
  readonly version: OrcVersion;
  /** The base all IPs are relative to (IP section address + relocation). */
  readonly base: bigint;
  readonly #ip: Float64Array;
  readonly #order: Uint32Array | null;
  readonly #unwind: DataView;

  private constructor(
    base: bigint,
    ip: Float64Array,
    order: Uint32Array | null,
    unwind: Uint8Array,
    version: OrcVersion,
  ) {
    this.base = base;
    this.#ip = ip;
    this.#order = order;
    this.#unwind = new DataView(unwind.buffer, unwind.byteOffset, unwind.byteLength);
    this.count = ip.length;
    this.version = version;
  }

  /**
   * Parses the two sections. Throws a {@link DecodeError} if their sizes are
   * not multiples of 4 and 6 or disagree on the entry count.
   */
  static parse(ip: Uint8Array, unwind: Uint8Array, options: OrcOptions): OrcTable {
    const section = options.section ?? ".orc_unwind_ip";
    if (ip.length % 4 !== 0) {
      throw new DecodeError(section, 0, `size ${ip.length} is not a multiple of 4`);
    }
    if (unwind.length % 6 !== 0) {
      throw new DecodeError(".orc_unwind", 0, `size ${unwind.length} is not a multiple of 6`);
    }
    const n = ip.length / 4;
    if (unwind.length / 6 !== n) {
      throw new DecodeError(
        ".orc_unwind",
        0,
        `${unwind.length / 6} entries but .orc_unwind_ip has ${n}`,
      );
    }
    const version = options.version ??
      (options.hasOrcHeader ? 3 : undefined) ??
      (options.kernelRelease !== undefined
        ? versionFromRelease(options.kernelRelease)
        : undefined) ??
      guessOrcVersion(unwind);
    const dv = new DataView(ip.buffer, ip.byteOffset, ip.byteLength);
    const rel = new Float64Array(n);
    let sorted = true;
    for (let i = 0; i < n; i++) {
      rel[i] = i * 4 + dv.getInt32(i * 4, true);
      if (i > 0 && rel[i]! < rel[i - 1]!) sorted = false;
    }
    let order: Uint32Array | null = null;
    let ips = rel;
    if (!sorted) {
      order = new Uint32Array(n);
      for (let i = 0; i < n; i++) order[i] = i;
      order.sort((a, b) => rel[a]! - rel[b]! || a - b);
      ips = new Float64Array(n);
      for (let i = 0; i < n; i++) ips[i] = rel[order[i]!]!;
    }
    const base = options.ipSectionAddress + (options.relocation ?? 0n);
    return new OrcTable(base, ips, order, unwind, version);
  }

  /** The IP of the `i`th entry in IP order. */
  ipAt(i: number): bigint {
    return BigInt.asUintN(64, this.base + BigInt(this.#ip[i]!));
  }

  /** The `i`th entry in IP order. */
  entryAt(i: number): OrcEntry {
    if (!(i >= 0 && i < this.count)) throw new RangeError(`ORC entry ${i} out of range`);
    const k = this.#order === null ? i : this.#order[i]!;
    const v = this.#unwind;
    const spOffset = v.getInt16(k * 6, true);
    const bpOffset = v.getInt16(k * 6 + 2, true);
    const f = v.getUint16(k * 6 + 4, true);
    const spReg = f & 0xf;
    const bpReg = (f >> 4) & 0xf;
    let type: OrcType;
    let signal: boolean;
    if (this.version === 3) {
      const t = (f >> 8) & 7;
      type = t === 1
        ? "end_of_stack"
        : t === 2
        ? "call"
        : t === 3
        ? "regs"
        : t === 4
        ? "regs_partial"
        : "undefined";
      signal = (f & 0x800) !== 0;
    } else {
      const t = (f >> 8) & 3;
      const end = this.version === 1 ? (f & 0x400) !== 0 : (f & 0x800) !== 0;
      if (spReg === ORC_REG.UNDEFINED) type = end ? "end_of_stack" : "undefined";
      else type = t === 0 ? "call" : t === 1 ? "regs" : t === 2 ? "regs_partial" : "undefined";
      signal = this.version === 2 ? (f & 0x400) !== 0 : type === "regs" || type === "regs_partial";
    }
    return { spOffset, bpOffset, spReg, bpReg, type, signal };
  }

  /** Index (in IP order) of the last entry at or before `pc`, or -1. */
  find(pc: bigint): number {
    const d = pc - this.base;
    if (d < -(2n ** 52n) || d > 2n ** 52n) return -1;
    const x = Number(d);
    const ip = this.#ip;
    let l = 0, u = ip.length;
    while (l < u) {
      const m = (l + u) >>> 1;
      if (ip[m]! <= x) l = m + 1;
      else u = m;
    }
    return l - 1;
  }

  /** The entry in force at `pc`, or null if `pc` is before the first entry. */
  entryForPc(pc: bigint): OrcEntry | null {
    const i = this.find(pc);
    return i < 0 ? null : this.entryAt(i);
  }
}

/** The result of {@link orcUnwindStep}. */
export type OrcStep =
  /** The caller's registers; `signal` says the caller was interrupted (look up its PC itself). */
  | {
    readonly kind: "frame";
    readonly registers: DwarfRegisters;
    readonly signal: boolean;
    readonly entry: OrcEntry;
  }
  /** The entry marks the end of the stack (user mode entry, a kernel thread's start). */
  | { readonly kind: "end"; readonly entry: OrcEntry }
  /** No usable entry: PC not covered, an undefined entry, or a rule needing unknown registers. */
  | { readonly kind: "unknown"; readonly reason: string };

const RIP = 16, RSP = 7, RBP = 6;
const ORC_REG_DWARF: Record<number, number> = { 2: 1, 3: 5, 6: 10, 7: 13 }; // DX DI R10 R13

function u64(read: ReadMemory, address: bigint): bigint {
  const b = read(address, 8);
  return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
}

/**
 * One ORC unwind step, as the kernel's `unwind_next_frame()`: finds the
 * entry for the frame's PC (the PC itself if `signal`, i.e. the frame was
 * interrupted, else PC − 1 so that a return address after a call to a
 * `noreturn` function still finds the caller's entry), computes the previous
 * SP, then the return address (CALL: at SP − 8), a whole `struct pt_regs`
 * (REGS) or an interrupt frame (REGS_PARTIAL) at that SP, and the previous
 * BP. Memory errors propagate (`FaultError` from `read`).
 *
 * @param registers the frame's registers (`rip`, `rsp`, `rbp`; others for
 *   the DX/DI/R10/R13 rules), DWARF-numbered
 * @param signal whether this frame was interrupted (its PC is exact)
 */
export function orcUnwindStep(
  table: OrcTable,
  registers: DwarfRegisters,
  signal: boolean,
  read: ReadMemory,
): OrcStep {
  const rip = registers[RIP];
  const rsp = registers[RSP];
  if (rip === undefined || rsp === undefined) return { kind: "unknown", reason: "no rip or rsp" };
  const lookup = signal ? rip : rip - 1n;
  const entry = table.entryForPc(lookup);
  if (entry === null) return { kind: "unknown", reason: `no ORC entry for ${hex(lookup)}` };
  if (entry.type === "end_of_stack") return { kind: "end", entry };
  if (entry.type === "undefined") {
    return { kind: "unknown", reason: `undefined ORC entry for ${hex(lookup)}` };
  }
  const rbp = registers[RBP];
  let sp: bigint;
  let indirect = false;
  switch (entry.spReg) {
    case ORC_REG.SP:
      sp = rsp + BigInt(entry.spOffset);
      break;
    case ORC_REG.BP:
      if (rbp === undefined) return { kind: "unknown", reason: "rbp unknown" };
      sp = rbp + BigInt(entry.spOffset);
      break;
    case ORC_REG.SP_INDIRECT:
      sp = rsp;
      indirect = true;
      break;
    case ORC_REG.BP_INDIRECT:
      if (rbp === undefined) return { kind: "unknown", reason: "rbp unknown" };
      sp = rbp + BigInt(entry.spOffset);
      indirect = true;
      break;
    case ORC_REG.R10:
    case ORC_REG.R13:
    case ORC_REG.DI:
    case ORC_REG.DX: {
      const v = registers[ORC_REG_DWARF[entry.spReg]!];
      if (v === undefined) {
        return { kind: "unknown", reason: `ORC sp_reg ${entry.spReg} needs a register not known` };
      }
      sp = v;
      break;
    }
    default:
      return { kind: "unknown", reason: `unknown ORC sp_reg ${entry.spReg}` };
  }
  sp = BigInt.asUintN(64, sp);
  if (indirect) {
    sp = u64(read, sp);
    if (entry.spReg === ORC_REG.SP_INDIRECT) sp = BigInt.asUintN(64, sp + BigInt(entry.spOffset));
  }

  let out: DwarfRegisters;
  let nextSignal: boolean;
  switch (entry.type) {
    case "call":
      out = [];
      out[RIP] = u64(read, sp - 8n);
      out[RSP] = sp;
      if (rbp !== undefined) out[RBP] = rbp;
      nextSignal = false;
      break;
    case "regs": {
      out = ptRegsToDwarf(read(sp, PT_REGS_SIZE));
      nextSignal = true;
      break;
    }
    case "regs_partial": {
      // sp points at the hardware interrupt frame (ip cs flags sp ss).
      const frame = ptRegsToDwarf(read(sp, PT_REGS_SIZE - IRET_FRAME_OFFSET), true);
      out = registers.slice();
      for (let i = 0; i < frame.length; i++) if (frame[i] !== undefined) out[i] = frame[i];
      nextSignal = true;
      break;
    }
  }
  switch (entry.bpReg) {
    case ORC_REG.UNDEFINED:
      break; // unchanged (or, for REGS, taken from pt_regs above)
    case ORC_REG.PREV_SP:
      out[RBP] = u64(read, BigInt.asUintN(64, sp + BigInt(entry.bpOffset)));
      break;
    case ORC_REG.BP:
      if (rbp === undefined) return { kind: "unknown", reason: "rbp unknown" };
      out[RBP] = u64(read, BigInt.asUintN(64, rbp + BigInt(entry.bpOffset)));
      break;
    default:
      return { kind: "unknown", reason: `unknown ORC bp_reg ${entry.bpReg}` };
  }
  return { kind: "frame", registers: out, signal: nextSignal, entry };
}
