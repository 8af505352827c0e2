/**
 * Damaged input on the real fixtures: a user program's ELF and DWARF, a
 * user core's notes and headers, a kernel module's debug file and the
 * kdump's metadata, each with a few bytes changed (seeded, so every run
 * tests the same files), then a session on them: globals, functions and
 * types printed, every thread's stack trace with its locals; for the
 * kernel, the module list, the task list with stack traces, module types
 * and variables. Every failure must be one of Wyvern's typed errors (or a
 * TypeError of the API, such as "not a structure"), never an internal
 * error (`undefined` read, out-of-range typed array, runaway recursion);
 * a hang would time the test out. 24 damaged files per user case, 12 per
 * kernel case; `WYVERN_FUZZ_ROUNDS=N` for a longer campaign (a campaign of
 * about 4,000 damaged files found one bug, the RangeError of a bad PT_TLS
 * alignment, now a DecodeError: see userspace_core_test.ts).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { KERNEL, KERNEL_MODULES, USER } from "./_programs.ts";
import { vmlinux } from "./lib/elf/_fixtures.ts";
import { Program } from "../lib/program/program.ts";
import { forEachTask } from "../helpers/linux/pid.ts";
import {
  DecodeError,
  FaultError,
  LookupError,
  MissingDebugInfoError,
  ObjectAbsentError,
  OutOfBoundsError,
  TargetError,
  ValidationError,
} from "../lib/errors.ts";

const ROUNDS = Number(Deno.env.get("WYVERN_FUZZ_ROUNDS") ?? "24");

const TYPED = [
  FaultError,
  LookupError,
  ObjectAbsentError,
  OutOfBoundsError,
  MissingDebugInfoError,
  DecodeError,
  ValidationError,
  TargetError,
];
/** Messages of JavaScript's own errors: a bug, whatever the input. */
const INTERNAL =
  /Cannot read prop|is not a function|is not iterable|\bundefined\b|Invalid typed array|outside the bounds|Maximum call stack|Invalid array length|Cannot convert|Cannot mix BigInt|Invalid string length|Offset is outside/;

/** Failures that are no typed error, by message (one example each). */
class Failures {
  readonly bad = new Map<string, string>();
  typed = 0;
  run(where: string, f: () => unknown): void {
    try {
      f();
    } catch (e) {
      if (TYPED.some((c) => e instanceof c)) {
        this.typed++;
        return;
      }
      const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      if (e instanceof TypeError && !INTERNAL.test(msg)) return;
      const key = msg.replace(/0x[0-9a-f]+|\d+/g, "N").slice(0, 120);
      if (!this.bad.has(key)) {
        this.bad.set(key, `${where}: ${(e as Error)?.stack ?? msg}`);
      }
    }
  }
  check(): void {
    assert.equal(this.bad.size, 0, [...this.bad.values()].join("\n\n"));
    assert.ok(this.typed > 0, "the damage was never noticed: the mutations miss");
  }
}

/** ELF64 ranges worth damaging: headers, tables, and each section with contents. */
function elfRanges(d: Uint8Array, notes: boolean): [number, number][] {
  const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const phoff = Number(v.getBigUint64(0x20, true));
  const shoff = Number(v.getBigUint64(0x28, true));
  const phnum = v.getUint16(0x38, true);
  const shentsize = v.getUint16(0x3a, true);
  const shnum = v.getUint16(0x3c, true);
  const out: [number, number][] = [[0, 64], [phoff, phoff + phnum * 56]];
  if (shnum > 0) out.push([shoff, shoff + shnum * shentsize]);
  for (let i = 0; i < shnum; i++) {
    const p = shoff + i * shentsize;
    const off = Number(v.getBigUint64(p + 24, true));
    const size = Number(v.getBigUint64(p + 32, true));
    if (v.getUint32(p + 4, true) !== 8 && size > 0 && off + size <= d.length) {
      out.push([off, off + size]);
    }
  }
  for (let i = 0; notes && i < phnum; i++) {
    const p = phoff + i * 56;
    const off = Number(v.getBigUint64(p + 8, true));
    if (v.getUint32(p, true) === 4) out.push([off, off + Number(v.getBigUint64(p + 32, true))]);
  }
  return out.filter(([a, b]) => b > a && b <= d.length);
}

/** `d` with 1 to `most` bytes changed inside `ranges` (random, bit flip, 0xff or 0), from `seed`. */
function mutate(d: Uint8Array, ranges: [number, number][], seed: number, most: number): Uint8Array {
  let s = (seed * 2654435761) >>> 0;
  const rand = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    s = (s ^ (s >>> 13)) >>> 0;
    return s / 4294967296;
  };
  const out = d.slice();
  const n = 1 + Math.floor(rand() * most);
  for (let j = 0; j < n; j++) {
    const [lo, hi] = ranges[Math.floor(rand() * ranges.length)]!;
    const at = lo + Math.floor(rand() * (hi - lo));
    const mode = rand();
    out[at] = mode < 0.4
      ? Math.floor(rand() * 256)
      : mode < 0.7
      ? out[at]! ^ (1 << Math.floor(rand() * 8))
      : mode < 0.85
      ? 0xff
      : 0;
  }
  return out;
}

/** A user session: the reference's globals, functions and types, every thread's trace and locals. */
function userSession(f: Failures, p: Program, ref: Record<string, Record<string, unknown>>) {
  for (const v of Object.keys(ref.variables ?? {})) {
    f.run(`variable ${v}`, () => String(p.object(v)));
  }
  for (const v of Object.keys(ref.functions ?? {})) {
    f.run(`function ${v}`, () => String(p.object(v)));
  }
  for (const t of Object.keys(ref.types ?? {})) f.run(`type ${t}`, () => String(p.type(t)));
  f.run("threads", () => {
    for (const th of p.threads()) {
      f.run(`trace of ${th.tid}`, () => {
        for (const frame of p.stackTrace(th)) {
          String(frame);
          for (const n of frame.locals()) f.run(`local ${n}`, () => String(frame.get(n)));
        }
      });
    }
  });
}

for (const [prog, variant] of [["types", "gcc-O0"], ["threads", "gcc-dwarf4-O2"]]) {
  for (const target of ["binary", "core"] as const) {
    Deno.test(`fuzz: damaged ${variant}/${prog} ${target}: typed errors only`, () => {
      const binPath = join(USER, "out/bin", variant!, prog!);
      const corePath = join(USER, "out/core", variant!, `${prog}.gcore`);
      const ref = JSON.parse(
        Deno.readTextFileSync(join(USER, "reference", variant!, `${prog}.gcore.json`)),
      );
      const orig = Deno.readFileSync(target === "binary" ? binPath : corePath);
      const ranges = elfRanges(orig, target === "core");
      const dir = Deno.makeTempDirSync();
      const f = new Failures();
      try {
        for (let round = 0; round < ROUNDS; round++) {
          const path = join(dir, `${prog}-${round}`);
          Deno.writeFileSync(path, mutate(orig, ranges, round + 1, 12));
          const p = new Program();
          f.run(`round ${round}: open`, () => {
            p.setCoreDump(target === "core" ? path : corePath);
            p.loadDebugInfo([target === "binary" ? path : binPath], { default: false });
            userSession(f, p, ref);
          });
        }
      } finally {
        Deno.removeSync(dir, { recursive: true });
      }
      f.check();
    });
  }
}

for (const target of ["loop.ko", "kdump"] as const) {
  Deno.test(`fuzz: damaged kernel ${target}: typed errors only`, async () => {
    const vml = await vmlinux();
    const dump = join(KERNEL, "vmcores/kaslr-256m/vmcore.mdf-c-d31.kdump");
    const modPath = (m: string) => join(KERNEL, "debug", `${m}.ko`);
    const orig = Deno.readFileSync(target === "kdump" ? dump : modPath("loop"));
    // The kdump: its header, sub-header, bitmaps and the first page descriptors.
    const ranges: [number, number][] = target === "kdump"
      ? [[0, 4096], [4096, 3 * 4096], [3 * 4096, 7 * 4096], [7 * 4096, 7 * 4096 + 65536]]
      : elfRanges(orig, false);
    const dir = Deno.makeTempDirSync();
    const f = new Failures();
    try {
      for (let round = 0; round < Math.ceil(ROUNDS / 2); round++) {
        const path = join(dir, target);
        Deno.writeFileSync(path, mutate(orig, ranges, round + 1, 12));
        const p = new Program();
        f.run(`round ${round}: open`, () => {
          p.setCoreDump(target === "kdump" ? path : dump);
          p.loadDebugInfo([
            vml,
            ...KERNEL_MODULES.map((m) => target === "loop.ko" && m === "loop" ? path : modPath(m)),
          ], { default: false });
          f.run("modules", () => [...p.modules].map((m) => m.name));
          f.run("tasks", () => {
            for (const t of forEachTask(p)) {
              t.comm.string_();
              for (const frame of p.stackTrace(t)) String(frame);
            }
          });
          f.run("type", () => String(p.type("struct loop_device")));
          f.run("variable", () => String(p.object("max_loop")));
          f.run("symbol", () => String(p.symbol("loop_exit")));
        });
      }
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
    f.check();
  });
}
