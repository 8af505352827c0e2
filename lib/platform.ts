/**
 * The target's architecture: word size and byte order, as drgn's `Platform`.
 *
 * @module
 */

/** Architectures Wyvern knows the registers of. */
export type Architecture = "X86_64" | "I386" | "AARCH64" | "ARM" | "PPC64" | "S390X" | "UNKNOWN";

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

/** The x86-64 platform, the one every fixture runs on. */
export const X86_64: Platform = new Platform("X86_64", 8, true);

/** Maps an ELF `e_machine` to an architecture. */
export function archFromElfMachine(machine: number): Architecture {
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
      return "S390X";
    default:
      return "UNKNOWN";
  }
}
