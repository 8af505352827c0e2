/**
 * One DWARF CFI unwind step: applies a {@link CfiRow} (from `lib/dwarf/cfi.ts`)
 * to a frame's registers to recover the caller's registers, evaluating
 * `DW_CFA_def_cfa_expression`, `DW_CFA_expression` and
 * `DW_CFA_val_expression` rules with `lib/dwarf/expr.ts`.
 *
 * The caller looks the row up at the frame's PC if the frame was
 * interrupted (frame 0, or a row whose CIE has the `S` augmentation) and at
 * PC − 1 otherwise (a return address may be the first byte after a call
 * to a `noreturn` function, outside the caller's FDE).
 *
 * @module
 */

import type { CfiRow, CfiRule } from "../dwarf/cfi.ts";
import { evaluateValue } from "../dwarf/expr.ts";
import { type DwarfRegisters, type ReadMemory, x86_64DefaultRule } from "../arch/x86_64.ts";

/** Options of {@link cfiUnwindStep}. */
export interface CfiUnwindOptions {
  /** Reads target memory (throws `FaultError`). */
  readonly read: ReadMemory;
  /**
   * The rule of a register the row does not mention (default
   * {@link x86_64DefaultRule}: callee-saved registers keep their value, the
   * stack pointer is the CFA, others are undefined).
   */
  readonly defaultRule?: (regno: number) => "same_value" | "cfa" | "undefined";
  /** Number of DWARF registers to recover (default 67: x86-64 up to `fsw`). */
  readonly registerCount?: number;
  /** Section of the row's expressions, for errors (default `.eh_frame`). */
  readonly section?: string;
  /** Address size (default 8). */
  readonly addressSize?: 4 | 8;
}

/** The result of {@link cfiUnwindStep}. */
export type CfiStep =
  /** The caller's registers (its PC in the return address column) and this frame's CFA. */
  | { readonly kind: "frame"; readonly registers: DwarfRegisters; readonly cfa: bigint }
  /**
   * The return address is undefined: this is the outermost frame. The
   * other registers recovered are still given (drgn shows them in a last
   * frame whose PC is unknown).
   */
  | { readonly kind: "end"; readonly registers: DwarfRegisters; readonly cfa: bigint }
  /** The CFA or the return address could not be computed. */
  | { readonly kind: "unknown"; readonly reason: string };

function readWord(read: ReadMemory, address: bigint, size: number): bigint {
  const b = read(address, size);
  const v = new DataView(b.buffer, b.byteOffset, size);
  return size === 8 ? v.getBigUint64(0, true) : BigInt(v.getUint32(0, true));
}

/**
 * Recovers the caller's registers from `registers` with `row`. Registers
 * whose saved value cannot be read become unknown (undefined); a failure to
 * compute the CFA or the return address gives `unknown`.
 */
export function cfiUnwindStep(
  row: CfiRow,
  registers: DwarfRegisters,
  options: CfiUnwindOptions,
): CfiStep {
  const read = options.read;
  const size = options.addressSize ?? 8;
  const mask = size === 8 ? 0xffffffffffffffffn : 0xffffffffn;
  const section = options.section ?? ".eh_frame";
  const defaultRule = options.defaultRule ?? x86_64DefaultRule;
  const ctx = {
    addressSize: size,
    section,
    register: (r: number) => registers[r],
    readMemory: read,
  };
  let cfa: bigint;
  try {
    if (row.cfa.kind === "register") {
      const base = registers[row.cfa.register];
      if (base === undefined) {
        return { kind: "unknown", reason: `CFA register ${row.cfa.register} is not known` };
      }
      cfa = (base + BigInt(row.cfa.offset)) & mask;
    } else {
      cfa = evaluateValue(row.cfa.expression, { ...ctx, baseOffset: row.cfa.offset }) & mask;
    }
  } catch (e) {
    return { kind: "unknown", reason: `cannot compute the CFA: ${(e as Error).message}` };
  }
  const count = Math.max(
    options.registerCount ?? 67,
    row.rules.length,
    row.returnAddressRegister + 1,
  );
  const out: DwarfRegisters = [];
  for (let r = 0; r < count; r++) {
    const rule: CfiRule | undefined = row.rules[r];
    try {
      if (rule === undefined) {
        const d = defaultRule(r);
        if (d === "same_value") out[r] = registers[r];
        else if (d === "cfa") out[r] = cfa;
        continue;
      }
      switch (rule.kind) {
        case "undefined":
          break;
        case "same_value":
          out[r] = registers[r];
          break;
        case "offset":
          out[r] = readWord(read, (cfa + BigInt(rule.offset)) & mask, size);
          break;
        case "val_offset":
          out[r] = (cfa + BigInt(rule.offset)) & mask;
          break;
        case "register":
          out[r] = registers[rule.register];
          break;
        case "expression": {
          const a = evaluateValue(rule.expression, {
            ...ctx,
            baseOffset: rule.offset,
            initialStack: [cfa],
          });
          out[r] = readWord(read, a & mask, size);
          break;
        }
        case "val_expression":
          out[r] = evaluateValue(rule.expression, {
            ...ctx,
            baseOffset: rule.offset,
            initialStack: [cfa],
          }) & mask;
          break;
      }
    } catch (e) {
      if (r === row.returnAddressRegister) {
        return {
          kind: "unknown",
          reason: `cannot read the return address: ${(e as Error).message}`,
        };
      }
      out[r] = undefined;
    }
  }
  const ra = row.rules[row.returnAddressRegister];
  if (ra !== undefined && ra.kind === "undefined") return { kind: "end", registers: out, cfa };
  if (out[row.returnAddressRegister] === undefined) {
    return { kind: "unknown", reason: "the return address is not known" };
  }
  return { kind: "frame", registers: out, cfa };
}
