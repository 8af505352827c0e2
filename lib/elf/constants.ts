/**
 * ELF constants in spec spelling (`SHT.SYMTAB` is the gABI's `SHT_SYMTAB`),
 * with {@link elfName} for turning a value back into its name in messages.
 *
 * Sources: the System V gABI (elf.h), the Linux kernel's
 * `include/uapi/linux/elf.h` and `include/uapi/linux/auxvec.h`, and the x86-64
 * psABI for the relocation types.
 *
 * Section flags ({@link SHF}) are bigints because `ElfSection.flags` is a
 * bigint (`sh_flags` is 64 bits wide in ELF64); everything else is a number.
 *
 * @module
 */

/** `e_ident[EI_CLASS]`. */
export const ELFCLASS = { NONE: 0, "32": 1, "64": 2 } as const;

/** `e_ident[EI_DATA]`. */
export const ELFDATA = { NONE: 0, "2LSB": 1, "2MSB": 2 } as const;

/** `e_type`: object file type. */
export const ET = {
  NONE: 0,
  REL: 1,
  EXEC: 2,
  DYN: 3,
  CORE: 4,
} as const;

/** `e_machine`: architecture (the common subset). */
export const EM = {
  NONE: 0,
  M32: 1,
  SPARC: 2,
  "386": 3,
  "68K": 4,
  "88K": 5,
  "860": 7,
  MIPS: 8,
  PARISC: 15,
  SPARC32PLUS: 18,
  PPC: 20,
  PPC64: 21,
  S390: 22,
  ARM: 40,
  SH: 42,
  SPARCV9: 43,
  IA_64: 50,
  X86_64: 62,
  AARCH64: 183,
  RISCV: 243,
  BPF: 247,
  LOONGARCH: 258,
} as const;

/** `p_type`: program header (segment) type. */
export const PT = {
  NULL: 0,
  LOAD: 1,
  DYNAMIC: 2,
  INTERP: 3,
  NOTE: 4,
  SHLIB: 5,
  PHDR: 6,
  TLS: 7,
  LOOS: 0x60000000,
  GNU_EH_FRAME: 0x6474e550,
  GNU_STACK: 0x6474e551,
  GNU_RELRO: 0x6474e552,
  GNU_PROPERTY: 0x6474e553,
  HIOS: 0x6fffffff,
  LOPROC: 0x70000000,
  HIPROC: 0x7fffffff,
} as const;

/** `p_flags`: segment permissions. */
export const PF = { X: 1, W: 2, R: 4 } as const;

/** `e_phnum` value meaning "the real count is in section header 0's `sh_info`". */
export const PN_XNUM = 0xffff;

/** Special section indexes (`st_shndx`, `e_shstrndx`). */
export const SHN = {
  UNDEF: 0,
  LORESERVE: 0xff00,
  LOPROC: 0xff00,
  HIPROC: 0xff1f,
  LOOS: 0xff20,
  HIOS: 0xff3f,
  ABS: 0xfff1,
  COMMON: 0xfff2,
  XINDEX: 0xffff,
  HIRESERVE: 0xffff,
} as const;

/** `sh_type`: section type. */
export const SHT = {
  NULL: 0,
  PROGBITS: 1,
  SYMTAB: 2,
  STRTAB: 3,
  RELA: 4,
  HASH: 5,
  DYNAMIC: 6,
  NOTE: 7,
  NOBITS: 8,
  REL: 9,
  SHLIB: 10,
  DYNSYM: 11,
  INIT_ARRAY: 14,
  FINI_ARRAY: 15,
  PREINIT_ARRAY: 16,
  GROUP: 17,
  SYMTAB_SHNDX: 18,
  RELR: 19,
  LOOS: 0x60000000,
  GNU_ATTRIBUTES: 0x6ffffff5,
  GNU_HASH: 0x6ffffff6,
  GNU_LIBLIST: 0x6ffffff7,
  CHECKSUM: 0x6ffffff8,
  GNU_verdef: 0x6ffffffd,
  GNU_verneed: 0x6ffffffe,
  GNU_versym: 0x6fffffff,
  HIOS: 0x6fffffff,
  LOPROC: 0x70000000,
  X86_64_UNWIND: 0x70000001,
  HIPROC: 0x7fffffff,
  LOUSER: 0x80000000,
  HIUSER: 0xffffffff,
} as const;

/** `sh_flags`: section flags (bigints, like `ElfSection.flags`). */
export const SHF = {
  WRITE: 0x1n,
  ALLOC: 0x2n,
  EXECINSTR: 0x4n,
  MERGE: 0x10n,
  STRINGS: 0x20n,
  INFO_LINK: 0x40n,
  LINK_ORDER: 0x80n,
  OS_NONCONFORMING: 0x100n,
  GROUP: 0x200n,
  TLS: 0x400n,
  COMPRESSED: 0x800n,
  GNU_RETAIN: 0x200000n,
  MASKOS: 0x0ff00000n,
  MASKPROC: 0xf0000000n,
  EXCLUDE: 0x80000000n,
} as const;

/** `ch_type` of an `Elf32_Chdr`/`Elf64_Chdr` (`SHF_COMPRESSED` sections). */
export const ELFCOMPRESS = { ZLIB: 1, ZSTD: 2 } as const;
/** zlib-compressed section (`ELFCOMPRESS_ZLIB`). */
export const ELFCOMPRESS_ZLIB = 1;
/** zstd-compressed section (`ELFCOMPRESS_ZSTD`). */
export const ELFCOMPRESS_ZSTD = 2;

/** Symbol type: the low 4 bits of `st_info`. */
export const STT = {
  NOTYPE: 0,
  OBJECT: 1,
  FUNC: 2,
  SECTION: 3,
  FILE: 4,
  COMMON: 5,
  TLS: 6,
  GNU_IFUNC: 10,
} as const;

/** Symbol binding: the high 4 bits of `st_info`. */
export const STB = {
  LOCAL: 0,
  GLOBAL: 1,
  WEAK: 2,
  GNU_UNIQUE: 10,
} as const;

/** Symbol visibility: the low 2 bits of `st_other`. */
export const STV = {
  DEFAULT: 0,
  INTERNAL: 1,
  HIDDEN: 2,
  PROTECTED: 3,
} as const;

/**
 * Note types. Core-file notes (owner `"CORE"` or `"LINUX"`) and GNU notes
 * (owner `"GNU"`) share numbers: `NT.PRPSINFO` and `NT.GNU_BUILD_ID` are
 * both 3. `GDB_TDESC` is gdb's target description in gcore files (owner `"GDB"`). Use {@link noteTypeName} to name a note by owner and type.
 */
export const NT = {
  PRSTATUS: 1,
  PRFPREG: 2,
  FPREGSET: 2,
  PRPSINFO: 3,
  TASKSTRUCT: 4,
  AUXV: 6,
  PRXFPREG: 0x46e62b7f,
  X86_XSTATE: 0x202,
  SIGINFO: 0x53494749,
  FILE: 0x46494c45,
  GNU_ABI_TAG: 1,
  GNU_HWCAP: 2,
  GNU_BUILD_ID: 3,
  GNU_GOLD_VERSION: 4,
  GNU_PROPERTY_TYPE_0: 5,
  GDB_TDESC: 0xff000000,
} as const;

/** Auxiliary vector entry types (`AT_*`, NT_AUXV). */
export const AT = {
  NULL: 0,
  IGNORE: 1,
  EXECFD: 2,
  PHDR: 3,
  PHENT: 4,
  PHNUM: 5,
  PAGESZ: 6,
  BASE: 7,
  FLAGS: 8,
  ENTRY: 9,
  NOTELF: 10,
  UID: 11,
  EUID: 12,
  GID: 13,
  EGID: 14,
  PLATFORM: 15,
  HWCAP: 16,
  CLKTCK: 17,
  SECURE: 23,
  BASE_PLATFORM: 24,
  RANDOM: 25,
  HWCAP2: 26,
  RSEQ_FEATURE_SIZE: 27,
  RSEQ_ALIGN: 28,
  EXECFN: 31,
  SYSINFO: 32,
  SYSINFO_EHDR: 33,
  MINSIGSTKSZ: 51,
} as const;

/** x86-64 relocation types (psABI), `R_X86_64.PC32` is `R_X86_64_PC32`. */
export const R_X86_64 = {
  NONE: 0,
  "64": 1,
  PC32: 2,
  GOT32: 3,
  PLT32: 4,
  COPY: 5,
  GLOB_DAT: 6,
  JUMP_SLOT: 7,
  RELATIVE: 8,
  GOTPCREL: 9,
  "32": 10,
  "32S": 11,
  "16": 12,
  PC16: 13,
  "8": 14,
  PC8: 15,
  DTPMOD64: 16,
  DTPOFF64: 17,
  TPOFF64: 18,
  TLSGD: 19,
  TLSLD: 20,
  DTPOFF32: 21,
  GOTTPOFF: 22,
  TPOFF32: 23,
  PC64: 24,
  GOTOFF64: 25,
  GOTPC32: 26,
  GOT64: 27,
  GOTPCREL64: 28,
  GOTPC64: 29,
  GOTPLT64: 30,
  PLTOFF64: 31,
  SIZE32: 32,
  SIZE64: 33,
  GOTPC32_TLSDESC: 34,
  TLSDESC_CALL: 35,
  TLSDESC: 36,
  IRELATIVE: 37,
  RELATIVE64: 38,
  GOTPCRELX: 41,
  REX_GOTPCRELX: 42,
} as const;

const TABLES = {
  ELFCLASS,
  ELFDATA,
  ET,
  EM,
  PT,
  PF,
  SHN,
  SHT,
  SHF,
  ELFCOMPRESS,
  STT,
  STB,
  STV,
  NT,
  AT,
  R_X86_64,
} as const;

/** The name of a constant table, as {@link elfName} takes it. */
export type ElfTableName = keyof typeof TABLES;

/** Range markers that are never the best name for a value. */
const RANGE_KEYS = new Set([
  "LOOS",
  "HIOS",
  "LOPROC",
  "HIPROC",
  "LOUSER",
  "HIUSER",
  "LORESERVE",
  "HIRESERVE",
  "MASKOS",
  "MASKPROC",
]);

const reverse = new Map<string, Map<bigint, string>>();

function reverseTable(table: ElfTableName): Map<bigint, string> {
  let m = reverse.get(table);
  if (m === undefined) {
    m = new Map();
    const entries = Object.entries(TABLES[table]) as [string, number | bigint][];
    // First pass: real names; second pass: range markers where nothing else fits.
    for (const pass of [false, true]) {
      for (const [key, value] of entries) {
        if (RANGE_KEYS.has(key) !== pass) continue;
        const v = BigInt(value);
        if (!m.has(v)) m.set(v, `${table}_${key}`);
      }
    }
    reverse.set(table, m);
  }
  return m;
}

/**
 * The spec name of `value` in constant table `table`, for messages:
 * `elfName("SHT", 2)` is `"SHT_SYMTAB"`, `elfName("R_X86_64", 1)` is
 * `"R_X86_64_64"`. Unknown values give `SHT_0x…`. Where two names share a
 * value, the first one listed wins (`NT_PRPSINFO` for 3; see {@link noteTypeName}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { elfName } from "./constants.ts";
 * assert.equal(elfName("PT", 1), "PT_LOAD");
 * assert.equal(elfName("R_X86_64", 1), "R_X86_64_64");
 * ```
 */
export function elfName(table: ElfTableName, value: number | bigint): string {
  const v = BigInt(value);
  const name = reverseTable(table).get(v);
  if (name !== undefined) return name;
  return `${table}_${v < 0n ? "-0x" + (-v).toString(16) : "0x" + v.toString(16)}`;
}

/**
 * The name of a note type given its owner: `noteTypeName("GNU", 3)` is
 * `"NT_GNU_BUILD_ID"`, `noteTypeName("CORE", 3)` is `"NT_PRPSINFO"`.
 */
export function noteTypeName(owner: string, type: number): string {
  const prefix = owner === "GNU" ? "GNU_" : owner === "GDB" ? "GDB_" : "";
  if (prefix !== "" || owner === "CORE" || owner === "LINUX") {
    for (const [key, value] of Object.entries(NT)) {
      const owned = key.startsWith("GNU_") || key.startsWith("GDB_");
      if (value === type && (prefix === "" ? !owned : key.startsWith(prefix))) return `NT_${key}`;
    }
  }
  return `NT_0x${type.toString(16)}`;
}
