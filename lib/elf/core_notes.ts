/**
 * Decoders for the descriptors of core-dump notes: `NT_PRSTATUS` (a
 * thread's registers), `NT_PRPSINFO`, `NT_FILE` (mapped files),
 * `NT_SIGINFO`, `NT_AUXV`, and the text of the `VMCOREINFO` note of Linux
 * kernel dumps. x86-64 and i386 layouts, from the kernel's
 * `include/linux/elfcore.h`, `include/uapi/linux/elfcore.h` and
 * `arch/x86/include/asm/user_{64,32}.h`.
 *
 * @module
 */

import { ByteReader, decodeUtf8 } from "../binary/byte_reader.ts";
import { DecodeError } from "../errors.ts";
import type { Platform } from "../platform.ts";

/** `NT_PRSTATUS`: `struct elf_prstatus`. */
export interface Prstatus {
  /** `pr_info.si_signo`. */
  readonly signo: number;
  /** `pr_info.si_code`. */
  readonly code: number;
  /** `pr_info.si_errno`. */
  readonly errno: number;
  /** `pr_cursig`: the current signal. */
  readonly cursig: number;
  /** `pr_sigpend`: pending signals mask. */
  readonly sigpend: bigint;
  /** `pr_sighold`: blocked signals mask. */
  readonly sighold: bigint;
  /** `pr_pid`: the thread ID (for QEMU/kdump kernel dumps: CPU number + 1). */
  readonly pid: number;
  readonly ppid: number;
  readonly pgrp: number;
  readonly sid: number;
  /** User, system, children's user and children's system time, in microseconds. */
  readonly utimeUsec: bigint;
  readonly stimeUsec: bigint;
  readonly cutimeUsec: bigint;
  readonly cstimeUsec: bigint;
  /**
   * The general registers by kernel name (`user_regs_struct` order): on
   * x86-64 `r15 r14 r13 r12 rbp rbx r11 r10 r9 r8 rax rcx rdx rsi rdi
   * orig_rax rip cs eflags rsp ss fs_base gs_base ds es fs gs`; on i386
   * `ebx ecx edx esi edi ebp eax ds es fs gs orig_eax eip cs eflags esp ss`.
   */
  readonly registers: Readonly<Record<string, bigint>>;
  /** The raw `pr_reg` bytes (the register set in `user_regs_struct` layout). */
  readonly regs: Uint8Array;
  /** `pr_fpvalid`: whether an `NT_PRFPREG` note follows. */
  readonly fpvalid: number;
}

/** x86-64 `struct user_regs_struct` member names, in order. */
export const X86_64_REGISTER_NAMES: readonly string[] = [
  "r15",
  "r14",
  "r13",
  "r12",
  "rbp",
  "rbx",
  "r11",
  "r10",
  "r9",
  "r8",
  "rax",
  "rcx",
  "rdx",
  "rsi",
  "rdi",
  "orig_rax",
  "rip",
  "cs",
  "eflags",
  "rsp",
  "ss",
  "fs_base",
  "gs_base",
  "ds",
  "es",
  "fs",
  "gs",
];

/** i386 `struct user_regs_struct` member names (the `x` of `xds` etc. dropped), in order. */
export const I386_REGISTER_NAMES: readonly string[] = [
  "ebx",
  "ecx",
  "edx",
  "esi",
  "edi",
  "ebp",
  "eax",
  "ds",
  "es",
  "fs",
  "gs",
  "orig_eax",
  "eip",
  "cs",
  "eflags",
  "esp",
  "ss",
];

/**
 * Layout of `struct elf_prstatus`: `pr_info` (3 ints), `pr_cursig` (short),
 * `pr_sigpend`, `pr_sighold` (unsigned long), 4 pids, 4 `timeval`s, then
 * `pr_reg` and `pr_fpvalid`.
 */
interface PrstatusLayout {
  readonly word: 4 | 8;
  readonly sigpend: number;
  readonly pid: number;
  readonly utime: number;
  readonly reg: number;
  readonly names: readonly string[];
  readonly size: number;
}

const PRSTATUS_X86_64: PrstatusLayout = {
  word: 8,
  sigpend: 16,
  pid: 32,
  utime: 48,
  reg: 112,
  names: X86_64_REGISTER_NAMES,
  size: 336,
};

const PRSTATUS_I386: PrstatusLayout = {
  word: 4,
  sigpend: 16,
  pid: 24,
  utime: 40,
  reg: 72,
  names: I386_REGISTER_NAMES,
  size: 144,
};

function prstatusLayout(platform: Platform, what: string): PrstatusLayout {
  switch (platform.arch) {
    case "X86_64":
      return PRSTATUS_X86_64;
    case "I386":
      return PRSTATUS_I386;
    default:
      throw new DecodeError(
        what,
        0,
        `NT_PRSTATUS of architecture ${platform.arch} is not supported`,
      );
  }
}

/**
 * Decodes an `NT_PRSTATUS` descriptor. Throws a {@link DecodeError} if it is
 * shorter than the architecture's `struct elf_prstatus` (336 bytes on x86-64,
 * 144 on i386).
 *
 * @param desc the note descriptor
 * @param platform the core's platform (`ElfFile.platform`)
 * @param offset file offset of `desc` (for errors)
 *
 * @example
 * ```ts ignore
 * const core = ElfFile.open("core");
 * for (const n of core.notes()) {
 *   if (n.name === "CORE" && n.type === NT.PRSTATUS) {
 *     const { pid, registers } = parsePrstatus(n.desc, core.platform, n.offset);
 *     console.log(pid, registers.rip);
 *   }
 * }
 * ```
 */
export function parsePrstatus(desc: Uint8Array, platform: Platform, offset = 0): Prstatus {
  const what = "NT_PRSTATUS note";
  const l = prstatusLayout(platform, what);
  if (desc.length < l.size) {
    throw new DecodeError(
      what,
      offset,
      `descriptor is ${desc.length} bytes, shorter than struct elf_prstatus (${l.size} bytes)`,
    );
  }
  const r = new ByteReader(desc, platform.littleEndian, what, 0, offset);
  const signo = r.s32();
  const code = r.s32();
  const errno = r.s32();
  const cursig = r.s16();
  r.seek(l.sigpend);
  const sigpend = r.uint(l.word);
  const sighold = r.uint(l.word);
  r.seek(l.pid);
  const pid = r.s32();
  const ppid = r.s32();
  const pgrp = r.s32();
  const sid = r.s32();
  r.seek(l.utime);
  const times: bigint[] = [];
  for (let i = 0; i < 4; i++) {
    const sec = l.word === 8 ? r.s64() : BigInt(r.s32());
    const usec = l.word === 8 ? r.s64() : BigInt(r.s32());
    times.push(sec * 1000000n + usec);
  }
  r.seek(l.reg);
  const registers: Record<string, bigint> = {};
  for (const name of l.names) registers[name] = r.uint(l.word);
  const regs = desc.subarray(l.reg, r.pos);
  const fpvalid = r.s32();
  return {
    signo,
    code,
    errno,
    cursig,
    sigpend,
    sighold,
    pid,
    ppid,
    pgrp,
    sid,
    utimeUsec: times[0]!,
    stimeUsec: times[1]!,
    cutimeUsec: times[2]!,
    cstimeUsec: times[3]!,
    registers,
    regs,
    fpvalid,
  };
}

/** `NT_PRPSINFO`: `struct elf_prpsinfo`. */
export interface Prpsinfo {
  /** `pr_state`: numeric process state. */
  readonly state: number;
  /** `pr_sname`: state letter (`"R"`, `"S"`, …). */
  readonly sname: string;
  readonly zomb: number;
  readonly nice: number;
  /** `pr_flag`: the task's `flags`. */
  readonly flag: bigint;
  readonly uid: number;
  readonly gid: number;
  readonly pid: number;
  readonly ppid: number;
  readonly pgrp: number;
  readonly sid: number;
  /** `pr_fname`: the command name (up to 16 bytes). */
  readonly fname: string;
  /** `pr_psargs`: the start of the command line (up to 80 bytes, arguments space-separated). */
  readonly psargs: string;
}

/**
 * Decodes an `NT_PRPSINFO` descriptor (x86-64: 136 bytes; i386: 124 bytes,
 * with 16-bit `pr_uid`/`pr_gid`).
 */
export function parsePrpsinfo(desc: Uint8Array, platform: Platform, offset = 0): Prpsinfo {
  const what = "NT_PRPSINFO note";
  const is64 = platform.wordSize === 8;
  if (platform.arch !== "X86_64" && platform.arch !== "I386") {
    throw new DecodeError(
      what,
      offset,
      `NT_PRPSINFO of architecture ${platform.arch} is not supported`,
    );
  }
  const size = is64 ? 136 : 124;
  if (desc.length < size) {
    throw new DecodeError(
      what,
      offset,
      `descriptor is ${desc.length} bytes, shorter than struct elf_prpsinfo (${size} bytes)`,
    );
  }
  const r = new ByteReader(desc, platform.littleEndian, what, 0, offset);
  const state = r.s8();
  const sname = String.fromCharCode(r.u8());
  const zomb = r.s8();
  const nice = r.s8();
  if (is64) r.seek(8);
  const flag = r.uint(platform.wordSize);
  const uid = is64 ? r.u32() : r.u16();
  const gid = is64 ? r.u32() : r.u16();
  const pid = r.s32();
  const ppid = r.s32();
  const pgrp = r.s32();
  const sid = r.s32();
  const fname = fixedString(r.bytes(16));
  const psargs = fixedString(r.bytes(80));
  return { state, sname, zomb, nice, flag, uid, gid, pid, ppid, pgrp, sid, fname, psargs };
}

/** A NUL-padded fixed-size string field. */
function fixedString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return decodeUtf8(end < 0 ? bytes : bytes.subarray(0, end));
}

/** One mapping of an `NT_FILE` note. */
export interface MappedFile {
  /** Start address of the mapping. */
  readonly start: bigint;
  /** End address (exclusive). */
  readonly end: bigint;
  /** Offset in the file of the mapping's first byte (the note's page offset times the page size). */
  readonly fileOffset: bigint;
  /** Path of the mapped file. */
  readonly path: string;
}

/** `NT_FILE`: the file-backed mappings of a process. */
export interface NtFile {
  /**
   * The unit of the offsets in the note: the page size in kernel cores, 1 in
   * gdb's gcore files.
   */
  readonly pageSize: bigint;
  readonly files: readonly MappedFile[];
}

/** Most mappings a process can have (`vm.max_map_count` is 65530 by default). */
const MAX_NT_FILE_COUNT = 1 << 24;

/**
 * Decodes an `NT_FILE` descriptor: `count` and `page_size` words, `count`
 * (start, end, page offset) triples, then `count` NUL-terminated paths.
 */
export function parseNtFile(desc: Uint8Array, platform: Platform, offset = 0): NtFile {
  const what = "NT_FILE note";
  const w = platform.wordSize;
  const r = new ByteReader(desc, platform.littleEndian, what, 0, offset);
  const count = r.uintn(w);
  const pageSize = r.uint(w);
  if (count > MAX_NT_FILE_COUNT || count * 3 * w > r.remaining) {
    throw new DecodeError(
      what,
      offset,
      `${count} mappings do not fit in the ${desc.length}-byte descriptor`,
    );
  }
  const ranges: bigint[] = new Array(count * 3);
  for (let i = 0; i < count * 3; i++) ranges[i] = r.uint(w);
  const files: MappedFile[] = new Array(count);
  for (let i = 0; i < count; i++) {
    if (r.done) r.error(`missing path of mapping ${i} (of ${count})`, r.pos);
    const path = r.cstring();
    files[i] = {
      start: ranges[3 * i]!,
      end: ranges[3 * i + 1]!,
      fileOffset: ranges[3 * i + 2]! * pageSize,
      path,
    };
  }
  return { pageSize, files };
}

/** `NT_SIGINFO`: the `siginfo_t` of the signal that caused the dump. */
export interface Siginfo {
  readonly signo: number;
  readonly errno: number;
  readonly code: number;
  /**
   * The faulting address (`si_addr`), for SIGILL, SIGFPE, SIGSEGV, SIGBUS
   * and SIGTRAP raised by the kernel (`si_code > 0`); else undefined.
   */
  readonly addr?: bigint;
  /** The sender's PID (`si_pid`), for signals sent by a process (`si_code <= 0`). */
  readonly pid?: number;
  /** The sender's UID (`si_uid`), with `pid`. */
  readonly uid?: number;
  /** The raw `siginfo_t` bytes. */
  readonly raw: Uint8Array;
}

const FAULT_SIGNALS = new Set([4, 5, 7, 8, 11]); // SIGILL SIGTRAP SIGBUS SIGFPE SIGSEGV

/** Decodes an `NT_SIGINFO` descriptor (`siginfo_t`: 128 bytes). */
export function parseSiginfo(desc: Uint8Array, platform: Platform, offset = 0): Siginfo {
  const what = "NT_SIGINFO note";
  // si_signo, si_errno, si_code, then the union aligned to the word size.
  const unionAt = platform.wordSize === 8 ? 16 : 12;
  if (desc.length < unionAt + 2 * platform.wordSize) {
    throw new DecodeError(
      what,
      offset,
      `descriptor is ${desc.length} bytes, too short for siginfo_t`,
    );
  }
  const r = new ByteReader(desc, platform.littleEndian, what, 0, offset);
  const signo = r.s32();
  const errno = r.s32();
  const code = r.s32();
  r.seek(unionAt);
  if (code > 0 && FAULT_SIGNALS.has(signo)) {
    return { signo, errno, code, addr: r.uint(platform.wordSize), raw: desc };
  }
  if (code <= 0) {
    const pid = r.s32();
    const uid = r.u32();
    return { signo, errno, code, pid, uid, raw: desc };
  }
  return { signo, errno, code, raw: desc };
}

/** One auxiliary vector entry. */
export interface AuxvEntry {
  /** `AT_*`. */
  readonly type: number;
  readonly value: bigint;
}

/**
 * Decodes an `NT_AUXV` descriptor: (type, value) word pairs up to and
 * including `AT_NULL` (which is not returned).
 */
export function parseAuxv(desc: Uint8Array, platform: Platform, offset = 0): AuxvEntry[] {
  const r = new ByteReader(desc, platform.littleEndian, "NT_AUXV note", 0, offset);
  const w = platform.wordSize;
  const out: AuxvEntry[] = [];
  while (r.remaining >= 2 * w) {
    const type = r.uintn(w);
    const value = r.uint(w);
    if (type === 0) break;
    out.push({ type, value });
  }
  return out;
}

/**
 * Parses VMCOREINFO text (`KEY=VALUE` lines, as in the `VMCOREINFO` note of
 * a kernel dump) into a map. Lines without `=` are ignored; a later
 * duplicate key wins; the text ends at the first NUL.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseVmcoreinfo } from "./core_notes.ts";
 * const info = parseVmcoreinfo("OSRELEASE=6.1.0-56-amd64\nPAGESIZE=4096\n");
 * assert.equal(info.get("PAGESIZE"), "4096");
 * ```
 */
export function parseVmcoreinfo(text: string | Uint8Array): Map<string, string> {
  let s = typeof text === "string" ? text : decodeUtf8(text);
  const nul = s.indexOf("\0");
  if (nul >= 0) s = s.slice(0, nul);
  const out = new Map<string, string>();
  for (const line of s.split("\n")) {
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    out.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return out;
}
