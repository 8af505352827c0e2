/**
 * The target's architecture: word size and byte order, as drgn's `Platform`.
 *
 * @module
 */

import { HOST_LITTLE_ENDIAN } from "./binary/byte_reader.ts";

/** Architectures Wyvern knows the registers of. */
export type Architecture =
  | "X86_64"
  | "I386"
  | "AARCH64"
  | "ARM"
  | "PPC64"
  | "RISCV64"
  | "RISCV32"
  | "S390X"
  | "S390"
  | "UNKNOWN";

/** drgn's `Architecture` members (`Architecture.X86_64 === "X86_64"`). */
export const Architecture: { readonly [K in Architecture]: K } = {
  X86_64: "X86_64",
  I386: "I386",
  AARCH64: "AARCH64",
  ARM: "ARM",
  PPC64: "PPC64",
  RISCV64: "RISCV64",
  RISCV32: "RISCV32",
  S390X: "S390X",
  S390: "S390",
  UNKNOWN: "UNKNOWN",
};

/** A register of a platform: its names (most have one; aarch64's `x29` is also `fp`). */
export interface PlatformRegister {
  readonly names: readonly string[];
}

const numbered = (prefix: string, n: number): string[][] =>
  Array.from({ length: n }, (_, i) => [`${prefix}${i}`]);

/**
 * The registers drgn 0.0.22 knows per architecture, in its order (the
 * DWARF register numbering's order); drgn has none for i386, arm, riscv
 * and s390 (31-bit).
 */
const REGISTER_NAMES: Partial<Record<Architecture, string[][]>> = {
  X86_64: [
    ..."rax rdx rcx rbx rsi rdi rbp rsp".split(" ").map((r) => [r]),
    ...numbered("r", 16).slice(8),
    ..."rip rflags es cs ss ds fs gs fs.base gs.base".split(" ").map((r) => [r]),
  ],
  AARCH64: [...numbered("x", 29), ["x29", "fp"], ["x30", "lr"], ["sp"], ["pstate"]],
  PPC64: [...numbered("r", 32), ["lr"], ...numbered("cr", 8)],
  S390X: [...numbered("r", 16), ...numbered("a", 16), ["pswm"], ["pswa"]],
};

const registerCache = new Map<Architecture, readonly PlatformRegister[]>();

/** A target platform: architecture, word size and byte order. */
export class Platform {
  /** The CPU architecture. */
  readonly arch: Architecture;
  /** 8 for 64-bit targets, 4 for 32-bit ones. */
  readonly wordSize: 4 | 8;
  /** Byte order of the target. */
  readonly littleEndian: boolean;

  constructor(arch: Architecture, wordSize: 4 | 8, littleEndian: boolean) {
    this.arch = arch;
    this.wordSize = wordSize;
    this.littleEndian = littleEndian;
  }

  /** The registers of the architecture, as drgn's `Platform.registers` (empty where drgn knows none). */
  get registers(): readonly PlatformRegister[] {
    let r = registerCache.get(this.arch);
    if (r === undefined) {
      r = Object.freeze(
        (REGISTER_NAMES[this.arch] ?? []).map((names) =>
          Object.freeze({ names: Object.freeze(names) })
        ),
      );
      registerCache.set(this.arch, r);
    }
    return r;
  }

  /** True for 64-bit targets. */
  get is64Bit(): boolean {
    return this.wordSize === 8;
  }

  /** drgn's spelling: `Platform(<Architecture.X86_64: 1>, <PlatformFlags.IS_64_BIT|IS_LITTLE_ENDIAN: 3>)`. */
  get flags(): string {
    const f: string[] = [];
    if (this.wordSize === 8) f.push("IS_64_BIT");
    if (this.littleEndian) f.push("IS_LITTLE_ENDIAN");
    return "PlatformFlags." + (f.length ? f.join("|") : "0");
  }

  toString(): string {
    return `Platform(Architecture.${this.arch}, ${this.flags})`;
  }
}

/** The platform Wyvern runs on (drgn's `host_platform`). */
export const hostPlatform: Platform = (() => {
  const arch = Deno.build.arch as string;
  const a: Architecture = arch === "x86_64" ? "X86_64" : arch === "aarch64" ? "AARCH64" : "UNKNOWN";
  return new Platform(a, 8, HOST_LITTLE_ENDIAN);
})();

/** The x86-64 platform, the one every fixture runs on. */
export const X86_64: Platform = new Platform("X86_64", 8, true);

/** Maps an ELF `e_machine` (and class: 64-bit or not) to an architecture. */
export function archFromElfMachine(machine: number, is64 = true): Architecture {
  switch (machine) {
    case 62:
      return "X86_64";
    case 3:
      return "I386";
    case 183:
      return "AARCH64";
    case 40:
      return "ARM";
    case 21:
      return "PPC64";
    case 22:
      return is64 ? "S390X" : "S390";
    case 243:
      return is64 ? "RISCV64" : "RISCV32";
    default:
      return "UNKNOWN";
  }
}
