/**
 * Turning evaluated DWARF locations into objects (memory → reference,
 * register / computed value / implicit bytes / pieces → value, optimized
 * out → absent), and thread-local storage: the TLS block of a module for a
 * thread, found through glibc's static TLS layout (the executable) or the
 * thread's DTV and the dynamic linker's link maps (shared libraries).
 *
 * @module
 */

import type { DwarfInfo } from "../dwarf/dwarf_info.ts";
import { evaluateLocation, type ExprLocation } from "../dwarf/expr.ts";
import { dtvTlsAddress, staticTlsAddress, staticTlsOffsets } from "../arch/x86_64.ts";
import { PT } from "../elf/constants.ts";
import type { ElfFile } from "../elf/elf_file.ts";
import { DecodeError, FaultError, ObjectAbsentError } from "../errors.ts";
import {
  newAbsent,
  newReference,
  type TypedObject,
  valueFromBytes,
} from "../object/typed_object.ts";
import { writeUintBig } from "../object/scalar.ts";
import { sizeOf, type Type } from "../types/type.ts";
import type { Program } from "./program.ts";
import { type Module, moduleDwarf, type ObjectDescriptor } from "./module.ts";
import type { Thread } from "./thread.ts";
import { setLocationEvaluator } from "./debug_info.ts";
import { x86_64RegisterName } from "../arch/x86_64.ts";

/** DWARF register `regno` of a register set keyed by name, or undefined. */
export type RegisterFn = (regno: number) => bigint | undefined;

/** Register value lookup by DWARF number over a name-keyed register set. */
export function registersByDwarf(regs: Readonly<Record<string, bigint>> | null): RegisterFn {
  return (regno) => {
    if (regs === null) return undefined;
    const name = x86_64RegisterName(regno);
    const alt: Record<string, string> = {
      "fs.base": "fs_base",
      "gs.base": "gs_base",
      rflags: "eflags",
    };
    return regs[name] ?? (alt[name] !== undefined ? regs[alt[name]!] : undefined);
  };
}

/** Bytes of `size` holding `v` little-endian. */
function bytesOf(v: bigint, size: number): Uint8Array {
  const out = new Uint8Array(size);
  writeUintBig(out, 0, Math.min(size, 16), v, true);
  return out;
}

/**
 * The object of `type` at `loc`. Register and computed values are
 * truncated to the type's size; pieces are assembled; missing parts make
 * the object absent.
 */
export function objectFromLocation(
  prog: Program,
  type: Type,
  loc: ExprLocation,
  register: RegisterFn,
): TypedObject {
  let size: number;
  try {
    size = sizeOf(type);
  } catch {
    size = 0;
  }
  switch (loc.kind) {
    case "memory":
      return newReference(prog, type, loc.address);
    case "register": {
      const v = register(loc.register);
      if (v === undefined) return newAbsent(prog, type);
      return valueFromBytes(prog, type, bytesOf(v, size));
    }
    case "value":
      return valueFromBytes(prog, type, bytesOf(loc.value, size));
    case "implicit": {
      const b = new Uint8Array(size);
      b.set(loc.bytes.subarray(0, size));
      return valueFromBytes(prog, type, b);
    }
    case "composite": {
      const out = new Uint8Array(size);
      let bit = 0;
      for (const p of loc.pieces) {
        const nbytes = Math.ceil(p.bitSize / 8);
        const piece = p.location;
        let bytes: Uint8Array;
        switch (piece.kind) {
          case "memory":
            try {
              bytes = prog.read(piece.address, nbytes);
            } catch (e) {
              if (e instanceof FaultError) return newAbsent(prog, type);
              throw e;
            }
            break;
          case "register": {
            const v = register(piece.register);
            if (v === undefined) return newAbsent(prog, type);
            bytes = bytesOf(v >> BigInt(p.bitOffset), nbytes);
            break;
          }
          case "value":
            bytes = bytesOf(piece.value, nbytes);
            break;
          case "implicit":
            bytes = piece.bytes.subarray(0, nbytes);
            break;
          default:
            return newAbsent(prog, type);
        }
        if (bit % 8 === 0 && p.bitSize % 8 === 0) {
          out.set(bytes.subarray(0, Math.min(nbytes, size - bit / 8)), bit / 8);
        } else {
          return newAbsent(prog, type);
        }
        bit += p.bitSize;
      }
      return valueFromBytes(prog, type, out);
    }
    default:
      return newAbsent(prog, type);
  }
}

// ---------------------------------------------------------------------------
// Thread-local storage

interface TlsInfo {
  /** Static TLS offset (executable) or null. */
  staticOffset: number | null;
  /** The module's TLS module ID (`l_tls_modid`), or null if unknown. */
  modid: number | null;
}

/** The PT_TLS segment of a module's ELF file, or null. */
function tlsSegment(elf: ElfFile | undefined) {
  if (elf === undefined) return null;
  return elf.segments.find((s) => s.type === PT.TLS) ?? null;
}

function tlsInfo(prog: Program, m: Module): TlsInfo {
  const cached = m.data.get("tls") as TlsInfo | undefined;
  if (cached) return cached;
  const info: TlsInfo = { staticOffset: null, modid: null };
  const elf = m.data.get("elf") as ElfFile | undefined;
  const seg = tlsSegment(elf);
  if (m.kind === "main" && seg !== null) {
    // A power of 2 (glibc's loader refuses others), within 32 bits for the offset arithmetic.
    if (seg.align > 2 ** 30 || (seg.align > 1 && (seg.align & (seg.align - 1)) !== 0)) {
      throw new DecodeError(
        `${elf!.path}: program header ${seg.index} (PT_TLS)`,
        elf!.phoff,
        `p_align ${seg.align} is not a usable TLS alignment (a power of 2 up to 2^30)`,
      );
    }
    info.staticOffset = staticTlsOffsets([{
      memsz: seg.memsz,
      align: seg.align,
      vaddr: seg.vaddr,
    }])[0]!;
    info.modid = 1;
  } else {
    info.modid = linkMapTlsModid(prog, m);
  }
  m.data.set("tls", info);
  return info;
}

/** Finds `l_tls_modid` of `m` by walking the dynamic linker's link maps (needs their types). */
function linkMapTlsModid(prog: Program, m: Module): number | null {
  try {
    const rdebug = prog.tryObject("_r_debug");
    if (rdebug === null) return null;
    let lm = rdebug.member_("r_map");
    for (let i = 0; i < 4096 && lm.value_() !== 0n; i++) {
      if ((lm.member_("l_addr").value_() as bigint) === m.bias) {
        // r_map's type is struct link_map (public part); the internal one has l_tls_modid.
        const full = prog.findTypeByKind("struct", "link_map");
        if (full === null || !full.hasMember("l_tls_modid")) return null;
        const obj = newReference(prog, full, lm.value_() as bigint);
        return Number(obj.member_("l_tls_modid").value_());
      }
      lm = lm.member_("l_next");
    }
  } catch {
    return null;
  }
  return null;
}

/** The address of `offset` in module `m`'s TLS block for `thread`. */
export function tlsAddress(prog: Program, m: Module, thread: Thread, offset: bigint): bigint {
  const regs = thread.registers();
  const fsBase = regs?.fs_base;
  if (fsBase === undefined || fsBase === 0n) {
    throw new ObjectAbsentError("thread pointer (fs_base) is not known");
  }
  const info = tlsInfo(prog, m);
  if (info.staticOffset !== null) return staticTlsAddress(fsBase, info.staticOffset, offset);
  if (info.modid !== null) {
    const a = dtvTlsAddress((addr, size) => prog.read(addr, size), fsBase, info.modid, offset);
    if (a !== null) return a;
  }
  throw new ObjectAbsentError(`TLS block of ${m.name} not found for thread ${thread.tid}`);
}

/** Evaluates a global's location expression for `thread` (TLS variables). */
export function evaluateGlobal(
  prog: Program,
  m: Module,
  desc: ObjectDescriptor & { kind: "variable" },
  thread: Thread | null,
): TypedObject {
  const dwarf = moduleDwarf<DwarfInfo>(m);
  const expr = desc.locationExpr!;
  const unit = (desc as { unit?: Parameters<DwarfInfo["reader"]["unitInfo"]>[0] }).unit;
  const reg = registersByDwarf(thread?.registers() ?? null);
  try {
    const loc = evaluateLocation(expr, {
      addressSize: prog.platform.wordSize,
      littleEndian: prog.platform.littleEndian,
      bias: m.bias,
      register: reg,
      readMemory: (a, n) => prog.read(a, n),
      debugAddr: dwarf && unit
        ? (i) => dwarf.reader.addrx(dwarf.reader.unitInfo(unit), i) + m.bias
        : undefined,
      tlsAddress: (off) => {
        if (thread === null) throw new ObjectAbsentError("no thread for a TLS variable");
        return tlsAddress(prog, m, thread, off);
      },
    });
    return objectFromLocation(prog, desc.type, loc, reg);
  } catch (e) {
    if (e instanceof ObjectAbsentError) return newAbsent(prog, desc.type);
    throw e;
  }
}

/** The thread globals are read for: the crashed thread of a core, else none. */
function defaultThread(prog: Program): Thread | null {
  try {
    return prog.crashedThread();
  } catch {
    return null;
  }
}

setLocationEvaluator((prog, m, desc, thread) =>
  evaluateGlobal(prog, m, desc, thread ?? defaultThread(prog))
);
