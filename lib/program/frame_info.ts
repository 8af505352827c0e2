/**
 * What DWARF says about a stack frame: the scopes covering its PC split into
 * one frame per inlined call (`DW_TAG_inlined_subroutine`) plus the
 * function's own frame, their names (through `DW_AT_abstract_origin`), source
 * positions (the line table for the innermost frame, the inlined
 * subroutine's `DW_AT_call_file`/`call_line`/`call_column` for its caller),
 * the names of their locals, and the value of a local: location
 * expressions and location lists evaluated against the frame's registers,
 * with `DW_AT_frame_base`, `DW_OP_call_frame_cfa`, thread-local storage
 * through the frame's thread, and `DW_OP_entry_value` /
 * `DW_OP_GNU_entry_value` recovered from the caller (callee-saved registers
 * as the caller's frame has them, other registers from the caller's
 * `DW_TAG_call_site_parameter` values, the way gdb shows `x@entry`).
 *
 * `DW_OP_implicit_pointer` / `DW_OP_GNU_implicit_pointer` locations give
 * an absent object (the pointed-to object has no address).
 *
 * @module
 */

import { type DwarfRegisters, X86_64_DWARF } from "../arch/x86_64.ts";
import { DW_AT, DW_TAG } from "../dwarf/constants.ts";
import type { Die, DieRef } from "../dwarf/die.ts";
import type { DwarfInfo } from "../dwarf/dwarf_info.ts";
import {
  entryValueRegister,
  evaluateLocation,
  evaluateValue,
  type ExprContext,
} from "../dwarf/expr.ts";
import { type LineTable, LineTables } from "../dwarf/line.ts";
import { locationList } from "../dwarf/loclists.ts";
import { constValueOf } from "../dwarf/object_reader.ts";
import type { DwarfUnit } from "../dwarf/unit.ts";
import { DecodeError, FaultError, LookupError, ObjectAbsentError } from "../errors.ts";
import { newAbsent, newValue, type TypedObject, valueFromBytes } from "../object/typed_object.ts";
import type { Type } from "../types/type.ts";
import { objectFromLocation, tlsAddress } from "./location.ts";
import { type Module, moduleDwarf } from "./module.ts";
import type { Program } from "./program.ts";
import type { Thread } from "./thread.ts";

/** One frame's share of the DWARF scopes at a PC. */
export interface DwarfFrame {
  /** The function DIE (`DW_TAG_subprogram` or `DW_TAG_inlined_subroutine`) and the blocks nested in it that cover the PC, outermost first; empty when no function covers the PC. */
  readonly scopes: readonly Die[];
  /** Whether the function DIE is an inlined subroutine. */
  readonly isInline: boolean;
  /** For the caller of an inline frame: the callee's inlined subroutine DIE, whose `DW_AT_call_*` give this frame's source position. */
  readonly callee: Die | null;
}

/** The DWARF frames of one register state (a machine frame), innermost first. */
export interface DwarfFrames {
  readonly module: Module;
  readonly dwarf: DwarfInfo;
  /** The unit covering the PC. */
  readonly unit: DwarfUnit;
  /** The PC looked up, unbiased (the frame's PC, minus 1 unless interrupted, minus the module's bias). */
  readonly pc: bigint;
  /** Innermost first; at least one (a frame with no scopes when no function covers the PC). */
  readonly frames: readonly DwarfFrame[];
  /** The machine frame's `DW_TAG_subprogram` (its frame base), or null. */
  readonly subprogram: Die | null;
}

/** A source position. */
export interface SourceLocation {
  /** The file as the line table names it (`kernel/sched/core.c`, `/src/a.c`). */
  readonly file: string;
  /** 1-based line (0 if unknown). */
  readonly line: number;
  /** 1-based column (0 if unknown). */
  readonly column: number;
}

const lineTablesCache = new WeakMap<DwarfInfo, LineTables>();

/** The line table of `unit` (parsed once per DWARF file and unit), or null if it has none. */
export function unitLineTable(dwarf: DwarfInfo, unit: DwarfUnit): LineTable | null {
  const line = dwarf.sections.line;
  if (line === undefined) return null;
  let tables = lineTablesCache.get(dwarf);
  if (tables === undefined) {
    tables = new LineTables(
      { line, lineStr: dwarf.sections.lineStr, str: dwarf.sections.str },
      { littleEndian: dwarf.options.littleEndian, addressSize: unit.addressSize === 4 ? 4 : 8 },
    );
    lineTablesCache.set(dwarf, tables);
  }
  const info = dwarf.reader.unitInfo(unit);
  if (info.stmtList === null) return null;
  return tables.get(info.stmtList, info.compDir ?? undefined, info.name ?? undefined);
}

/**
 * Splits the scopes covering `pc` (unbiased) into frames, innermost first,
 * as drgn does: each `DW_TAG_inlined_subroutine` starts a frame holding it
 * and the blocks inside it; the `DW_TAG_subprogram` holds the rest. Null if
 * the module has no DWARF or no unit covers `pc`.
 */
export function dwarfFramesAt(module: Module, pc: bigint): DwarfFrames | null {
  const dwarf = moduleDwarf<DwarfInfo>(module);
  if (dwarf === undefined) return null;
  const unit = dwarf.unitForPc(pc);
  if (unit === null) return null;
  const scopes = dwarf.scopesAt(pc);
  if (scopes.length === 0 || scopes[0]!.tag !== DW_TAG.subprogram) {
    return {
      module,
      dwarf,
      unit,
      pc,
      frames: [{ scopes: [], isInline: false, callee: null }],
      subprogram: null,
    };
  }
  const frames: DwarfFrame[] = [];
  let end = scopes.length;
  let callee: Die | null = null;
  for (let i = scopes.length - 1; i >= 1; i--) {
    if (scopes[i]!.tag !== DW_TAG.inlined_subroutine) continue;
    frames.push({ scopes: scopes.slice(i, end), isInline: true, callee });
    callee = scopes[i]!;
    end = i;
  }
  frames.push({ scopes: scopes.slice(0, end), isInline: false, callee });
  return { module, dwarf, unit, pc, frames, subprogram: scopes[0]! };
}

/** The name of a DWARF frame's function, or null. */
export function frameFunctionName(dwarf: DwarfInfo, frame: DwarfFrame): string | null {
  const fn = frame.scopes[0];
  return fn === undefined ? null : dwarf.nameOf(fn);
}

/**
 * The source position of frame `index` of `frames`: the caller of an
 * inline frame is at the callee's call site; the innermost frame is where
 * the line table puts the looked-up PC. Null if unknown.
 */
export function frameSource(frames: DwarfFrames, index: number): SourceLocation | null {
  const f = frames.frames[index]!;
  const table = unitLineTable(frames.dwarf, frames.unit);
  if (table === null) return null;
  if (f.callee !== null) {
    const fileIndex = f.callee.udata(DW_AT.call_file);
    if (fileIndex === null) return null;
    const file = table.files[fileIndex];
    if (file === undefined) return null;
    return {
      file: file.path,
      line: f.callee.udata(DW_AT.call_line) ?? 0,
      column: f.callee.udata(DW_AT.call_column) ?? 0,
    };
  }
  const row = table.find(frames.pc);
  if (row === null || row.file === undefined) return null;
  return { file: row.file.path, line: row.line, column: row.column };
}

function isLocalTag(tag: number): boolean {
  return tag === DW_TAG.variable || tag === DW_TAG.formal_parameter;
}

/**
 * Names of the parameters and local variables of a frame, in drgn's order:
 * scope by scope from the function outward in, each scope's
 * `DW_TAG_formal_parameter` and `DW_TAG_variable` children in DWARF order
 * (duplicates kept: nested blocks may reuse a name).
 */
export function frameLocalNames(dwarf: DwarfInfo, frame: DwarfFrame): string[] {
  const out: string[] = [];
  for (const scope of frame.scopes) {
    for (const c of dwarf.reader.children(scope)) {
      if (!isLocalTag(c.tag)) continue;
      const n = dwarf.nameOf(c);
      if (n !== null) out.push(n);
    }
  }
  return out;
}

/** A DIE found by name in a frame's scopes. */
export interface FoundDie {
  readonly die: Die;
  /** For an enumerator: its enumeration type DIE. */
  readonly enumType: Die | null;
}

function searchScope(dwarf: DwarfInfo, scope: Die, name: string): FoundDie | null {
  let found: FoundDie | null = null;
  for (const c of dwarf.reader.children(scope)) {
    if (isLocalTag(c.tag)) {
      if (dwarf.nameOf(c) === name) found = { die: c, enumType: null };
    } else if (c.tag === DW_TAG.enumeration_type && found === null) {
      for (const e of dwarf.reader.children(c)) {
        if (e.tag === DW_TAG.enumerator && e.name === name) {
          found = { die: e, enumType: c };
          break;
        }
      }
    }
  }
  return found;
}

/**
 * The DIE a name means in a frame: its scopes innermost first, then the
 * unit of the function (for an inline frame, the unit of its abstract
 * origin): globals and file-scope statics of the source file. Null if none.
 */
export function findFrameDie(dwarf: DwarfInfo, frame: DwarfFrame, name: string): FoundDie | null {
  for (let i = frame.scopes.length - 1; i >= 0; i--) {
    const hit = searchScope(dwarf, frame.scopes[i]!, name);
    if (hit !== null) return hit;
  }
  const fn = frame.scopes[0];
  if (fn === undefined) return null;
  let unit = fn.unit;
  const origin = fn.ref(DW_AT.abstract_origin);
  if (origin !== null) unit = dwarf.reader.unitOf(origin);
  return searchScope(dwarf, dwarf.reader.unitDie(unit), name);
}

/** The machine frame a value is read in: registers, CFA, thread, caller. */
export interface FrameContext {
  readonly prog: Program;
  readonly module: Module | null;
  /** Registers by DWARF number (undefined: not known). */
  readonly registers: DwarfRegisters;
  /** Whether the PC is exact (frame 0, or below a signal or interrupt frame). */
  readonly interrupted: boolean;
  /** The thread, for thread-local storage. */
  readonly thread: Thread | null;
  /** The canonical frame address, if it can be computed. */
  cfa(): bigint | undefined;
  /** The calling machine frame, or null for the outermost one. */
  caller(): FrameContext | null;
  /** The DWARF frames at this machine frame's PC, or null. */
  dwarfFrames(): DwarfFrames | null;
  /** The function's entry address when the frame has no DWARF frames (a tail-call frame). */
  readonly entryAddress?: bigint;
}

/** Registers a callee must preserve (System V x86-64 psABI): the caller still has them. */
const CALLEE_SAVED = new Set([
  X86_64_DWARF.rbx,
  X86_64_DWARF.rbp,
  X86_64_DWARF.r12,
  X86_64_DWARF.r13,
  X86_64_DWARF.r14,
  X86_64_DWARF.r15,
]);

const MAX_ENTRY_VALUE_DEPTH = 8;
const MAX_CALL_SITE_SEARCH = 100_000;

/** The `DW_TAG_call_site` of `caller`'s function whose return address is the caller's PC. */
function findCallSite(caller: FrameContext): { dwarf: DwarfInfo; site: Die } | null {
  const frames = caller.dwarfFrames();
  if (frames === null || frames.subprogram === null || caller.module === null) return null;
  const pc = caller.registers[X86_64_DWARF.rip];
  if (pc === undefined) return null;
  const returnPc = pc - caller.module.bias;
  const { dwarf } = frames;
  const matches = (d: Die): boolean => {
    if (d.tag === DW_TAG.call_site) return d.address(DW_AT.call_return_pc) === returnPc;
    if (d.tag === DW_TAG.GNU_call_site) return d.address(DW_AT.low_pc) === returnPc;
    return false;
  };
  // The call is inside the innermost scope covering PC - 1: look there first, then outward.
  const scopes: Die[] = [];
  for (const f of frames.frames) scopes.push(...[...f.scopes].reverse());
  for (const s of scopes) {
    for (const c of dwarf.reader.children(s)) if (matches(c)) return { dwarf, site: c };
  }
  // Anywhere in the function (bounded).
  let budget = MAX_CALL_SITE_SEARCH;
  const stack: Die[] = [frames.subprogram];
  while (stack.length > 0 && budget-- > 0) {
    const d = stack.pop()!;
    for (const c of dwarf.reader.children(d)) {
      if (matches(c)) return { dwarf, site: c };
      if (c.hasChildren && c.tag !== DW_TAG.call_site && c.tag !== DW_TAG.GNU_call_site) {
        stack.push(c);
      }
    }
  }
  return null;
}

/** The result of looking a register up among a call site's parameters. */
type ParameterValue = { readonly found: false } | {
  readonly found: true;
  readonly value: bigint | undefined;
};

/** The value a call site's `DW_TAG_call_site_parameter` for `regno` gives, evaluated in `frame`. */
function callSiteParameter(
  frame: FrameContext,
  dwarf: DwarfInfo,
  site: Die,
  regno: number,
  depth: number,
): ParameterValue {
  for (const p of dwarf.reader.children(site)) {
    if (p.tag !== DW_TAG.call_site_parameter && p.tag !== DW_TAG.GNU_call_site_parameter) {
      continue;
    }
    const loc = p.block(DW_AT.location);
    if (loc === null || entryValueRegister(loc) !== regno) continue;
    const value = p.block(DW_AT.call_value) ?? p.block(DW_AT.GNU_call_site_value);
    if (value === null) return { found: true, value: undefined };
    try {
      return {
        found: true,
        value: evaluateValue(value, exprContext(frame, dwarf, p.unit, depth + 1)),
      };
    } catch (e) {
      if (isRecoverable(e)) return { found: true, value: undefined };
      throw e;
    }
  }
  return { found: false };
}

/** The run-time entry address of a frame's function, if known. */
function functionEntry(ctx: FrameContext): bigint | undefined {
  if (ctx.entryAddress !== undefined) return ctx.entryAddress;
  const frames = ctx.dwarfFrames();
  const low = frames?.subprogram?.address(DW_AT.low_pc) ?? null;
  return low === null || ctx.module === null ? undefined : low + ctx.module.bias;
}

const MAX_TAIL_CALL_SEARCH = 10_000;

/**
 * An entry value through a tail call (gdb's "tail call frames"): the
 * caller's call site calls function T (a direct `call rel32` before the
 * return address), which jumped to `ctx`'s function through its only tail
 * call site to it (`DW_AT_call_tail_call`); that site's parameter for
 * `regno`, evaluated in T's frame, whose entry registers come from the
 * caller's call site, is the value. Undefined if any step is not certain.
 */
function tailCallEntryValue(
  ctx: FrameContext,
  caller: FrameContext,
  regno: number,
  depth: number,
): bigint | undefined {
  const fn = functionEntry(ctx);
  const returnPc = caller.registers[X86_64_DWARF.rip];
  if (fn === undefined || returnPc === undefined) return undefined;
  let code: Uint8Array;
  try {
    code = ctx.prog.read(returnPc - 5n, 5);
  } catch (e) {
    if (e instanceof FaultError) return undefined;
    throw e;
  }
  if (code[0] !== 0xe8) return undefined; // not a direct call
  const rel = new DataView(code.buffer, code.byteOffset, 5).getInt32(1, true);
  const target = BigInt.asUintN(64, returnPc + BigInt(rel));
  if (target === fn) return undefined;
  const m = ctx.prog.moduleAt(target);
  const dwarf = m == null ? undefined : moduleDwarf<DwarfInfo>(m);
  if (m == null || dwarf === undefined) return undefined;
  const sub = dwarf.scopesAt(target - m.bias)[0];
  if (sub === undefined || sub.tag !== DW_TAG.subprogram) return undefined;
  if (sub.address(DW_AT.low_pc) !== target - m.bias) return undefined;
  const sites: Die[] = [];
  let budget = MAX_TAIL_CALL_SEARCH;
  const stack: Die[] = [sub];
  while (stack.length > 0 && budget-- > 0) {
    for (const c of dwarf.reader.children(stack.pop()!)) {
      if (c.tag === DW_TAG.call_site || c.tag === DW_TAG.GNU_call_site) {
        if (!c.flag(DW_AT.call_tail_call) && !c.flag(DW_AT.GNU_tail_call)) continue;
        const o = c.ref(DW_AT.call_origin) ?? c.ref(DW_AT.abstract_origin);
        const low = o === null ? null : dwarf.reader.die(o).address(DW_AT.low_pc);
        if (low !== null && low + m.bias === fn) sites.push(c);
      } else if (c.hasChildren) stack.push(c);
    }
  }
  if (sites.length !== 1) return undefined;
  // T's frame: nothing known but its entry registers (from the caller's call site).
  const tailFrame: FrameContext = {
    prog: ctx.prog,
    module: m,
    registers: [],
    interrupted: false,
    thread: ctx.thread,
    entryAddress: target,
    cfa: () => undefined,
    caller: () => caller,
    dwarfFrames: () => null,
  };
  const v = callSiteParameter(tailFrame, dwarf, sites[0]!, regno, depth);
  return v.found ? v.value : undefined;
}

/**
 * The value register `regno` had on entry to `ctx`'s function: a callee-saved
 * register as the caller's frame has it, the stack pointer from the CFA, or
 * the caller's call-site parameter for that register evaluated in the
 * caller's frame (through a tail call when the caller called another
 * function that jumped to this one). Undefined if it cannot be recovered.
 */
export function entryRegisterValue(
  ctx: FrameContext,
  regno: number,
  depth = 0,
): bigint | undefined {
  if (depth > MAX_ENTRY_VALUE_DEPTH) return undefined;
  if (regno === X86_64_DWARF.rsp) {
    const cfa = ctx.cfa();
    return cfa === undefined ? undefined : cfa - 8n;
  }
  const caller = ctx.caller();
  if (caller === null) return undefined;
  if (CALLEE_SAVED.has(regno as 3)) return caller.registers[regno];
  const found = findCallSite(caller);
  if (found === null) return undefined;
  const v = callSiteParameter(caller, found.dwarf, found.site, regno, depth);
  if (v.found) return v.value;
  return tailCallEntryValue(ctx, caller, regno, depth + 1);
}

function isRecoverable(e: unknown): boolean {
  return e instanceof ObjectAbsentError || e instanceof FaultError || e instanceof DecodeError;
}

/** The frame base of the machine frame's function (`DW_AT_frame_base`). */
function frameBase(ctx: FrameContext, dwarf: DwarfInfo, depth: number): bigint {
  const frames = ctx.dwarfFrames();
  const sub = frames?.subprogram ?? null;
  if (frames === null || sub === null) throw new ObjectAbsentError("no frame base");
  const list = locationList(sub, DW_AT.frame_base);
  if (list === null) throw new ObjectAbsentError("function has no DW_AT_frame_base");
  const e = list.find((x) => frames.pc >= x.start && frames.pc < x.end);
  if (e === undefined) throw new ObjectAbsentError("frame base not available at this PC");
  return evaluateValue(e.expr, exprContext(ctx, dwarf, sub.unit, depth));
}

/** The expression context of a frame (registers, memory, CFA, frame base, TLS, entry values). */
export function exprContext(
  ctx: FrameContext,
  dwarf: DwarfInfo,
  unit: DwarfUnit,
  depth = 0,
): ExprContext {
  const prog = ctx.prog;
  const m = ctx.module;
  const bias = m?.bias ?? 0n;
  const reader = dwarf.reader;
  return {
    addressSize: prog.platform.wordSize === 4 ? 4 : 8,
    littleEndian: prog.platform.littleEndian,
    offsetSize: unit.offsetSize === 8 ? 8 : 4,
    bias,
    section: unit.section === "info" ? ".debug_info" : ".debug_types",
    register: (r) => ctx.registers[r],
    readMemory: (a, n) => prog.read(a, n),
    cfa: () => {
      const c = ctx.cfa();
      if (c === undefined) throw new ObjectAbsentError("the CFA of this frame is not known");
      return c;
    },
    frameBase: () => frameBase(ctx, dwarf, depth),
    debugAddr: (i) => reader.addrx(reader.unitInfo(unit), i) + bias,
    tlsAddress: (off) => {
      if (m === null || ctx.thread === null) {
        throw new ObjectAbsentError("no thread for a thread-local variable");
      }
      return tlsAddress(prog, m, ctx.thread, off);
    },
    entryValue: (expr) => {
      const r = entryValueRegister(expr);
      return r === undefined ? undefined : entryRegisterValue(ctx, r, depth);
    },
    baseType: (off) => {
      const d = reader.dieAt(unit, unit.offset + off);
      if (d === null) throw new DecodeError(".debug_info", unit.offset + off, "no base type DIE");
      return { byteSize: d.udata(DW_AT.byte_size) ?? 0, encoding: d.udata(DW_AT.encoding) ?? 0 };
    },
  };
}

/** The type of a variable DIE (through its abstract origin), void if none. */
function dieType(dwarf: DwarfInfo, die: Die): Type {
  const t = dwarf.reader.withAttr(die, DW_AT.type);
  if (t === null) return dwarf.types.void();
  return dwarf.typeFromDie(t.ref(DW_AT.type) as DieRef);
}

function constValueObject(prog: Program, type: Type, die: Die): TypedObject {
  const v = constValueOf(die);
  return v instanceof Uint8Array ? valueFromBytes(prog, type, v) : newValue(prog, type, v);
}

/**
 * The object a variable, parameter or enumerator DIE denotes in frame
 * `ctx`: its location (expression or list entry covering the PC)
 * evaluated there; absent when optimized out or not recoverable.
 */
export function frameVariable(
  ctx: FrameContext,
  frames: DwarfFrames,
  found: FoundDie,
): TypedObject {
  const { dwarf } = frames;
  const prog = ctx.prog;
  const die = found.die;
  if (found.enumType !== null) {
    const type = dwarf.typeFromDie(found.enumType.dieRef);
    const c = die.constant(DW_AT.const_value);
    return newValue(prog, type, c?.value ?? 0n);
  }
  const type = dieType(dwarf, die);
  const cv = dwarf.reader.withAttr(die, DW_AT.const_value);
  if (cv !== null && !die.has(DW_AT.location)) return constValueObject(prog, type, cv);
  const list = locationList(die);
  if (list === null) {
    if (die.flag(DW_AT.declaration)) {
      const name = dwarf.nameOf(die);
      if (name !== null) return prog.object(name);
    }
    return newAbsent(prog, type);
  }
  // A single expression covers every PC; list entries are unbiased PC ranges.
  const pc = frames.pc;
  const entry = list.find((e) => pc >= e.start && pc < e.end);
  if (entry === undefined || entry.expr.length === 0) return newAbsent(prog, type);
  try {
    const loc = evaluateLocation(entry.expr, exprContext(ctx, dwarf, die.unit));
    return objectFromLocation(prog, type, loc, (r) => ctx.registers[r]);
  } catch (e) {
    if (e instanceof ObjectAbsentError) return newAbsent(prog, type);
    throw e;
  }
}

/** Throws drgn's error for a name a frame does not have. */
export function notFoundInFrame(name: string, functionName: string | null): never {
  throw new LookupError(
    functionName !== null
      ? `could not find '${name}' in '${functionName}'`
      : `could not find '${name}'`,
    "object",
    name,
  );
}
