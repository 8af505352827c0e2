/**
 * VMCOREINFO: the `KEY=VALUE` facts the kernel exports for dump tools
 * (`OSRELEASE`, `BUILD-ID`, `PAGESIZE`, `KERNELOFFSET`, `SYMBOL(x)`,
 * `NUMBER(x)`, `SIZE(x)`, `OFFSET(x.y)`, …), parsed into typed fields.
 * Available before any debug info is loaded: the seed workflow reads the
 * release from it, then finds the matching vmlinux.
 *
 * @module
 */

import { parseVmcoreinfo } from "../elf/core_notes.ts";
import { TargetError } from "../errors.ts";

/** Parsed VMCOREINFO. */
export class VmcoreInfo {
  /** The raw text. */
  readonly raw: string;
  /** Every key and value. */
  readonly entries: ReadonlyMap<string, string>;
  /** `OSRELEASE`: the kernel release (`uname -r`). */
  readonly osrelease: string;
  /** `BUILD-ID` as hex, if present (Linux 5.9+). */
  readonly buildId: string | null;
  /** `PAGESIZE`. */
  readonly pageSize: number;
  /** `KERNELOFFSET`: the KASLR offset of the kernel image (0 without KASLR). */
  readonly kaslrOffset: bigint;
  /** `NUMBER(phys_base)` (x86-64; signed: negative with KASLR). */
  readonly physBase: bigint | null;
  /** `NUMBER(pgtable_l5_enabled)` (x86-64): 5-level paging. */
  readonly pgtableL5Enabled: boolean;
  /** `SYMBOL(swapper_pg_dir)` or `SYMBOL(init_top_pgt)`: the kernel's page table root (virtual). */
  readonly swapperPgDir: bigint | null;
  /** `CRASHTIME`, if present. */
  readonly crashTime: bigint | null;

  constructor(raw: string, where = "VMCOREINFO") {
    this.raw = raw;
    const e = parseVmcoreinfo(raw);
    this.entries = e;
    const rel = e.get("OSRELEASE");
    if (rel === undefined) throw new TargetError(where, "VMCOREINFO has no OSRELEASE");
    this.osrelease = rel;
    this.buildId = e.get("BUILD-ID")?.toLowerCase() ?? null;
    const ps = Number(e.get("PAGESIZE") ?? "4096");
    if (!Number.isInteger(ps) || ps <= 0 || (ps & (ps - 1)) !== 0) {
      throw new TargetError(where, `VMCOREINFO has an invalid PAGESIZE '${e.get("PAGESIZE")}'`);
    }
    this.pageSize = ps;
    const ko = e.get("KERNELOFFSET");
    this.kaslrOffset = ko ? parseHex(ko, where, "KERNELOFFSET") : 0n;
    const pb = e.get("NUMBER(phys_base)");
    this.physBase = pb !== undefined ? BigInt.asUintN(64, parseSignedDecimal(pb, where)) : null;
    this.pgtableL5Enabled = e.get("NUMBER(pgtable_l5_enabled)") === "1";
    const pgd = e.get("SYMBOL(swapper_pg_dir)") ?? e.get("SYMBOL(init_top_pgt)") ??
      e.get("SYMBOL(init_level4_pgt)");
    this.swapperPgDir = pgd ? parseHex(pgd, where, "SYMBOL(swapper_pg_dir)") : null;
    const ct = e.get("CRASHTIME");
    this.crashTime = ct !== undefined && /^\d+$/.test(ct) ? BigInt(ct) : null;
  }

  /** `SYMBOL(name)` as an address, or null. */
  symbol(name: string): bigint | null {
    const v = this.entries.get(`SYMBOL(${name})`);
    return v === undefined ? null : parseHex(v, "VMCOREINFO", `SYMBOL(${name})`);
  }

  /** `NUMBER(name)` (signed decimal), or null. */
  number(name: string): bigint | null {
    const v = this.entries.get(`NUMBER(${name})`);
    return v === undefined ? null : parseSignedDecimal(v, "VMCOREINFO");
  }

  /** `SIZE(name)`, or null. */
  size(name: string): number | null {
    const v = this.entries.get(`SIZE(${name})`);
    return v === undefined ? null : Number(v);
  }

  /** `OFFSET(type.member)`, or null. */
  offset(name: string): number | null {
    const v = this.entries.get(`OFFSET(${name})`);
    return v === undefined ? null : Number(v);
  }

  /** `PAGE_SHIFT`. */
  get pageShift(): number {
    return 31 - Math.clz32(this.pageSize);
  }
}

function parseHex(v: string, where: string, key: string): bigint {
  const s = v.trim().replace(/^0x/i, "");
  if (!/^[0-9a-fA-F]+$/.test(s)) {
    throw new TargetError(where, `VMCOREINFO ${key} is not hex: '${v}'`);
  }
  return BigInt.asUintN(64, BigInt("0x" + s));
}

function parseSignedDecimal(v: string, where: string): bigint {
  const s = v.trim();
  if (/^-?\d+$/.test(s)) return BigInt(s);
  if (/^0x[0-9a-fA-F]+$/i.test(s)) return BigInt(s);
  throw new TargetError(where, `VMCOREINFO value is not a number: '${v}'`);
}
