/**
 * DWARF expressions: every operation on hand-built expressions (results
 * worked out from DWARF 5 §2.5/§2.6), TLS variables of the `threads` cores
 * against gdb's values per thread, and malformed expressions.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { DW_OP } from "../../../lib/dwarf/constants.ts";
import {
  entryValueRegister,
  evaluateLocation,
  evaluateValue,
  type ExprContext,
} from "../../../lib/dwarf/expr.ts";
import { ElfFile } from "../../../lib/elf/elf_file.ts";
import { isDecodeError, isObjectAbsentError } from "../../../lib/errors.ts";
import { dtvTlsAddress, staticTlsAddress, staticTlsOffsets } from "../../../lib/arch/x86_64.ts";
import { run, USER } from "../elf/_fixtures.ts";
import { openUserCore } from "../unwind/_user_core.ts";

const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
};
const sleb = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n = Math.floor(n / 128);
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
};
const lit = (n: number): number => DW_OP.lit0 + n;
const u64le = (n: bigint) =>
  Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));

function value(bytes: number[], ctx: ExprContext = {}): bigint {
  return evaluateValue(new Uint8Array(bytes), ctx);
}
/** Evaluates and returns the top of the stack as a signed number (via stack_value). */
function top(bytes: number[], ctx: ExprContext = {}): bigint {
  const loc = evaluateLocation(new Uint8Array([...bytes, DW_OP.stack_value]), ctx);
  assert.equal(loc.kind, "value");
  return BigInt.asIntN(64, (loc as { value: bigint }).value);
}

const mem = new Map<bigint, number>();
for (let i = 0; i < 64; i++) mem.set(0x1000n + BigInt(i), 0x10 + i); // bytes 10 11 12 …
const readMemory = (a: bigint, n: number) => {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const b = mem.get(a + BigInt(i));
    if (b === undefined) throw new Error(`unmapped 0x${(a + BigInt(i)).toString(16)}`);
    out[i] = b;
  }
  return out;
};

Deno.test("expressions: literals, constants and stack operations", () => {
  assert.equal(top([lit(0) + 31]), 31n);
  assert.equal(top([DW_OP.const1u, 0xff]), 255n);
  assert.equal(top([DW_OP.const1s, 0xff]), -1n);
  assert.equal(top([DW_OP.const2u, 0x34, 0x12]), 0x1234n);
  assert.equal(top([DW_OP.const2s, 0xfe, 0xff]), -2n);
  assert.equal(top([DW_OP.const4u, 0x78, 0x56, 0x34, 0x12]), 0x12345678n);
  assert.equal(top([DW_OP.const4s, 0xfd, 0xff, 0xff, 0xff]), -3n);
  assert.equal(top([DW_OP.const8u, ...u64le(0x123456789abcdef0n)]), 0x123456789abcdef0n);
  assert.equal(top([DW_OP.const8s, ...u64le(-4n & 0xffffffffffffffffn)]), -4n);
  assert.equal(top([DW_OP.constu, ...uleb(624485)]), 624485n);
  assert.equal(top([DW_OP.consts, ...sleb(-123456)]), -123456n);
  // dup, drop, over, pick, swap, rot
  assert.equal(top([lit(1), lit(2), DW_OP.dup, DW_OP.plus, DW_OP.plus]), 5n);
  assert.equal(top([lit(1), lit(2), DW_OP.drop]), 1n);
  assert.equal(top([lit(1), lit(2), DW_OP.over]), 1n);
  assert.equal(top([lit(1), lit(2), lit(3), DW_OP.pick, 2]), 1n);
  assert.equal(top([lit(1), lit(2), DW_OP.swap, DW_OP.minus]), 1n); // 2 - 1
  // rot: (1 2 3) → (3 1 2); then minus: 1 - 2
  assert.equal(top([lit(1), lit(2), lit(3), DW_OP.rot, DW_OP.minus]), -1n);
  assert.equal(top([lit(1), lit(2), lit(3), DW_OP.rot, DW_OP.drop, DW_OP.drop]), 3n);
  assert.equal(top([lit(7), DW_OP.nop]), 7n);
});

Deno.test("expressions: arithmetic and comparisons with DWARF signedness", () => {
  const neg6 = [DW_OP.consts, ...sleb(-6)];
  assert.equal(top([...neg6, lit(4), DW_OP.div]), -1n); // signed, truncating
  assert.equal(top([lit(7), lit(2), DW_OP.mod]), 1n);
  // mod of the generic type is unsigned (gdb, gcc): 2^64-6 mod 4 = 2
  assert.equal(top([...neg6, lit(4), DW_OP.mod]), 2n);
  assert.equal(top([lit(6), lit(7), DW_OP.mul]), 42n);
  assert.equal(top([...neg6, DW_OP.abs]), 6n);
  assert.equal(top([lit(5), DW_OP.neg]), -5n);
  assert.equal(top([lit(0), DW_OP.not]), -1n);
  assert.equal(top([lit(12), lit(10), DW_OP.and]), 8n);
  assert.equal(top([lit(12), lit(10), DW_OP.or]), 14n);
  assert.equal(top([lit(12), lit(10), DW_OP.xor]), 6n);
  assert.equal(top([lit(1), DW_OP.plus_uconst, ...uleb(300)]), 301n);
  assert.equal(top([lit(1), lit(4), DW_OP.shl]), 16n);
  assert.equal(top([...neg6, lit(1), DW_OP.shr]), 0x7ffffffffffffffdn);
  assert.equal(top([...neg6, lit(1), DW_OP.shra]), -3n);
  assert.equal(top([lit(1), DW_OP.const1u, 64, DW_OP.shl]), 0n);
  // Comparisons are signed: -6 < 4.
  assert.equal(top([...neg6, lit(4), DW_OP.lt]), 1n);
  assert.equal(top([...neg6, lit(4), DW_OP.gt]), 0n);
  assert.equal(top([lit(4), lit(4), DW_OP.le]), 1n);
  assert.equal(top([lit(4), lit(4), DW_OP.ge]), 1n);
  assert.equal(top([lit(4), lit(4), DW_OP.eq]), 1n);
  assert.equal(top([lit(4), lit(4), DW_OP.ne]), 0n);
  // 4-byte addresses wrap at 32 bits.
  assert.equal(
    value([DW_OP.const4u, 0xff, 0xff, 0xff, 0xff, lit(2), DW_OP.plus], { addressSize: 4 }),
    1n,
  );
});

Deno.test("expressions: control flow is bounded", () => {
  // sum = 0; i = 5; while (i) { sum += i; i-- }  → 15
  //  0: lit0 lit5
  //  2: dup bra +1 → 8 ; skip to end
  const loop = [
    lit(0),
    lit(5), // sum i
    DW_OP.dup,
    DW_OP.bra,
    3,
    0, // if i != 0 goto body
    DW_OP.skip,
    9,
    0, // goto end
    DW_OP.swap,
    DW_OP.over,
    DW_OP.plus,
    DW_OP.swap, // sum += i
    lit(1),
    DW_OP.minus, // i--
    DW_OP.skip,
    ...[0xf0, 0xff], // back to dup (-16)
    DW_OP.drop,
  ];
  assert.equal(top(loop), 15n);
  // An endless loop stops at the step budget with a DecodeError.
  const forever = [DW_OP.skip, 0xfd, 0xff];
  assert.throws(() => value(forever, { maxSteps: 1000 }), (e: unknown) => {
    assert.ok(isDecodeError(e));
    assert.match(e.message, /exceeds 1000 operations/);
    return true;
  });
  // Branch target outside the expression.
  assert.throws(() => value([DW_OP.skip, 0x10, 0]), isDecodeError);
});

Deno.test("expressions: registers, frame base, CFA, memory, addresses, TLS, calls", () => {
  const regs = new Map<number, bigint>([[7, 0x7000n], [6, 0x8000n], [100, 0x9000n]]);
  const ctx: ExprContext = {
    register: (r) => regs.get(r),
    readMemory,
    frameBase: () => 0x5000n,
    cfa: () => 0x6000n,
    objectAddress: () => 0x4000n,
    debugAddr: (i) => 0x100000n + BigInt(i) * 8n,
    tlsAddress: (off) => 0x7fff0000n + off,
    bias: 0x555555554000n,
  };
  assert.deepEqual(evaluateLocation(new Uint8Array([DW_OP.reg0 + 6]), ctx), {
    kind: "register",
    register: 6,
  });
  assert.deepEqual(evaluateLocation(new Uint8Array([DW_OP.regx, ...uleb(100)]), ctx), {
    kind: "register",
    register: 100,
  });
  assert.equal(value([DW_OP.breg0 + 7, ...sleb(-8)], ctx), 0x6ff8n);
  assert.equal(value([DW_OP.bregx, ...uleb(100), ...sleb(16)], ctx), 0x9010n);
  assert.equal(value([DW_OP.fbreg, ...sleb(-20)], ctx), 0x5000n - 20n);
  assert.equal(value([DW_OP.call_frame_cfa], ctx), 0x6000n);
  assert.equal(value([DW_OP.push_object_address], ctx), 0x4000n);
  assert.equal(value([DW_OP.addr, ...u64le(0x4010n)], ctx), 0x555555558010n);
  assert.equal(value([DW_OP.addrx, ...uleb(3)], ctx), 0x100018n + 0x555555554000n);
  assert.equal(value([DW_OP.constx, ...uleb(3)], ctx), 0x100018n);
  assert.equal(value([DW_OP.GNU_addr_index, ...uleb(1)], ctx), 0x100008n + 0x555555554000n);
  assert.equal(value([DW_OP.const8u, ...u64le(0x10n), DW_OP.form_tls_address], ctx), 0x7fff0010n);
  assert.equal(value([lit(8), DW_OP.GNU_push_tls_address], ctx), 0x7fff0008n);
  // deref / deref_size (little-endian bytes 10 11 12 …)
  assert.equal(value([DW_OP.const2u, 0x00, 0x10, DW_OP.deref], ctx), 0x1716151413121110n);
  assert.equal(value([DW_OP.const2u, 0x02, 0x10, DW_OP.deref_size, 2], ctx), 0x1312n);
  // The register location's value.
  assert.equal(value([DW_OP.reg0 + 7], ctx), 0x7000n);
  // An unknown register makes the object absent.
  assert.throws(() => value([DW_OP.breg0 + 3, 0], ctx), isObjectAbsentError);
  // call2 runs the callee's expression on the same stack.
  const withCall: ExprContext = {
    ...ctx,
    call: (off, rel) => (off === 0x40 && rel ? new Uint8Array([lit(2), DW_OP.plus]) : null),
  };
  assert.equal(value([lit(5), DW_OP.call2, 0x40, 0x00], withCall), 7n);
  assert.equal(value([lit(5), DW_OP.call4, 0x41, 0, 0, 0], withCall), 5n); // no location: no-op
  assert.throws(() => value([lit(5), DW_OP.call2, 0x40, 0x00], ctx), isDecodeError);
  // A recursive call stops at the nesting limit.
  const recursive: ExprContext = { call: () => new Uint8Array([DW_OP.call2, 0, 0]) };
  assert.throws(() => value([DW_OP.call2, 0, 0], recursive), isDecodeError);
  // Missing callbacks are DecodeErrors naming the operation.
  assert.throws(() => value([DW_OP.fbreg, 0]), /frame base/);
  assert.throws(() => value([lit(0), DW_OP.form_tls_address]), /thread/);
});

Deno.test("expressions: location kinds and composites", () => {
  assert.deepEqual(evaluateLocation(new Uint8Array([])), { kind: "absent" });
  assert.deepEqual(evaluateLocation(new Uint8Array([lit(5), DW_OP.stack_value])), {
    kind: "value",
    value: 5n,
    type: 0,
  });
  const iv = evaluateLocation(new Uint8Array([DW_OP.implicit_value, 3, 1, 2, 3]));
  assert.equal(iv.kind, "implicit");
  assert.deepEqual([...(iv as { bytes: Uint8Array }).bytes], [1, 2, 3]);
  assert.deepEqual(
    evaluateLocation(new Uint8Array([DW_OP.implicit_pointer, 0x34, 0x12, 0, 0, ...sleb(-8)])),
    { kind: "implicit_pointer", die: 0x1234, offset: -8n },
  );
  assert.deepEqual(
    evaluateLocation(new Uint8Array([DW_OP.GNU_implicit_pointer, 0x10, 0, 0, 0, 0])),
    { kind: "implicit_pointer", die: 0x10, offset: 0n },
  );
  // rax:4 bytes, [0x1000]:4 bytes, optimized out:4 bytes, 2 bits at bit 3 of rdx, a value.
  const c = evaluateLocation(
    new Uint8Array([
      DW_OP.reg0,
      DW_OP.piece,
      4,
      DW_OP.const2u,
      0x00,
      0x10,
      DW_OP.piece,
      4,
      DW_OP.piece,
      4,
      DW_OP.reg0 + 1,
      DW_OP.bit_piece,
      2,
      3,
      lit(9),
      DW_OP.stack_value,
      DW_OP.piece,
      1,
    ]),
  );
  assert.deepEqual(c, {
    kind: "composite",
    pieces: [
      { location: { kind: "register", register: 0 }, bitSize: 32, bitOffset: 0 },
      { location: { kind: "memory", address: 0x1000n }, bitSize: 32, bitOffset: 0 },
      { location: { kind: "absent" }, bitSize: 32, bitOffset: 0 },
      { location: { kind: "register", register: 1 }, bitSize: 2, bitOffset: 3 },
      { location: { kind: "value", value: 9n, type: 0 }, bitSize: 8, bitOffset: 0 },
    ],
  });
  // A register location must end the expression (or a piece).
  assert.throws(() => evaluateLocation(new Uint8Array([DW_OP.reg0, lit(1)])), isDecodeError);
});

Deno.test("expressions: entry values and typed operations", () => {
  assert.equal(entryValueRegister(new Uint8Array([DW_OP.reg0 + 5])), 5);
  assert.equal(entryValueRegister(new Uint8Array([DW_OP.regx, 0x81, 0x01])), 129);
  assert.equal(entryValueRegister(new Uint8Array([DW_OP.breg0 + 5, 0])), undefined);
  const ctx: ExprContext = {
    entryValue: (e) => (entryValueRegister(e) === 5 ? 0x77n : undefined),
    register: (r) => (r === 17 ? 0x3fe8000000000000n : r === 0 ? 0xfffffffffffffffen : undefined),
    // unit offsets 0x30: int (4, signed), 0x38: double, 0x40: unsigned long, 0x48: float
    baseType: (off) =>
      off === 0x30
        ? { byteSize: 4, encoding: 0x05 }
        : off === 0x38
        ? { byteSize: 8, encoding: 0x04 }
        : off === 0x40
        ? { byteSize: 8, encoding: 0x07 }
        : { byteSize: 4, encoding: 0x04 },
    readMemory,
  };
  // gcc: DW_OP_entry_value(DW_OP_reg5) DW_OP_stack_value
  assert.deepEqual(
    evaluateLocation(
      new Uint8Array([DW_OP.GNU_entry_value, 1, DW_OP.reg0 + 5, DW_OP.stack_value]),
      ctx,
    ),
    { kind: "value", value: 0x77n, type: 0 },
  );
  assert.throws(
    () =>
      evaluateLocation(
        new Uint8Array([DW_OP.entry_value, 1, DW_OP.reg0 + 4, DW_OP.stack_value]),
        ctx,
      ),
    isObjectAbsentError,
  );
  // regval_type of an xmm register holding 0.75 as a double.
  const d = evaluateLocation(
    new Uint8Array([DW_OP.GNU_regval_type, 17, 0x38, DW_OP.stack_value]),
    ctx,
  );
  assert.deepEqual(d, { kind: "value", value: 0x3fe8000000000000n, type: 0x38 });
  // const_type int -2, convert to double: -2.0
  const cv = evaluateLocation(
    new Uint8Array([
      DW_OP.const_type,
      0x30,
      4,
      0xfe,
      0xff,
      0xff,
      0xff,
      DW_OP.convert,
      0x38,
      DW_OP.stack_value,
    ]),
    ctx,
  );
  assert.deepEqual(cv, { kind: "value", value: 0xc000000000000000n, type: 0x38 });
  // double 0.75 * 4 → 3.0 converted to int → 3, then to generic
  const m = evaluateLocation(
    new Uint8Array([
      DW_OP.regval_type,
      17,
      0x38,
      DW_OP.const_type,
      0x38,
      8,
      ...u64le(0x4010000000000000n),
      DW_OP.mul,
      DW_OP.convert,
      0x30,
      DW_OP.convert,
      0,
      DW_OP.stack_value,
    ]),
    ctx,
  );
  assert.deepEqual(m, { kind: "value", value: 3n, type: 0 });
  // Signed typed division and comparison: int -2 / int 2 = -1; -2 < 2.
  const sdiv = evaluateLocation(
    new Uint8Array([
      DW_OP.regval_type,
      0,
      0x30,
      DW_OP.const_type,
      0x30,
      4,
      2,
      0,
      0,
      0,
      DW_OP.div,
      DW_OP.stack_value,
    ]),
    ctx,
  );
  assert.deepEqual(sdiv, { kind: "value", value: 0xffffffffn, type: 0x30 });
  // deref_type, reinterpret
  const dt = evaluateLocation(
    new Uint8Array([
      DW_OP.const2u,
      0,
      0x10,
      DW_OP.deref_type,
      4,
      0x48,
      DW_OP.reinterpret,
      0x30,
      DW_OP.stack_value,
    ]),
    ctx,
  );
  assert.deepEqual(dt, { kind: "value", value: 0x13121110n, type: 0x30 });
  // Mixing types is an error.
  assert.throws(
    () => evaluateLocation(new Uint8Array([DW_OP.regval_type, 17, 0x38, lit(1), DW_OP.plus]), ctx),
    isDecodeError,
  );
});

Deno.test("expressions: malformed input gives DecodeError at the operation's offset", () => {
  const at = (bytes: number[], offset: number, ctx: ExprContext = {}) =>
    assert.throws(
      () =>
        evaluateLocation(new Uint8Array(bytes), {
          ...ctx,
          section: ".debug_loclists",
          baseOffset: 0x100,
        }),
      (e: unknown) => {
        assert.ok(isDecodeError(e), String(e));
        assert.equal(e.section, ".debug_loclists");
        assert.equal(e.offset, 0x100 + offset, e.message);
        return true;
      },
    );
  at([lit(1), DW_OP.plus], 1); // stack underflow
  at([DW_OP.drop], 0);
  at([lit(1), DW_OP.pick, 3], 1);
  at([lit(1), DW_OP.const4u, 1, 2], 2); // operand past the end: its offset
  at([lit(1), 0x01], 1); // unknown opcode
  at([lit(1), DW_OP.xderef], 1);
  at([lit(1), DW_OP.GNU_parameter_ref, 0, 0, 0, 0], 1);
  at([lit(1), lit(0), DW_OP.div], 2);
  at([lit(1), DW_OP.deref_size, 9], 1, { readMemory });
  at([DW_OP.implicit_value, 10, 1], 2); // block past the end
  at([lit(1), DW_OP.dup, DW_OP.skip, 0xfc, 0xff], 1, { maxStack: 100 }); // stack overflow at dup
});

Deno.test("TLS: static TLS offsets and DTV lookups find gdb's tls_id and tls_tag in every thread", async () => {
  for (const variant of ["gcc-O0", "gcc-dwarf4-O2", "clang-O0"]) {
    const exePath = join(USER, "out/bin", variant, "threads");
    const exe = ElfFile.open(exePath);
    const tls = exe.segments.find((s) => s.type === 7)!;
    const [modOffset] = staticTlsOffsets([{
      memsz: tls.memsz,
      align: tls.align,
      vaddr: tls.vaddr,
    }]);
    exe.close();
    // The variables' DW_AT_location, as readelf prints them.
    const info = await run("readelf", ["-wi", exePath]);
    const locs = new Map<string, Uint8Array>();
    const re =
      /DW_AT_name\s*:.*?(tls_id|tls_tag)\n(?:.*\n)*?\s*<[0-9a-f]+>\s+DW_AT_location\s*:\s*\d+ byte block: ([0-9a-f ]+)/g;
    for (const m of info.matchAll(re)) {
      locs.set(m[1]!, new Uint8Array(m[2]!.trim().split(" ").map((h) => parseInt(h, 16))));
    }
    assert.equal(locs.size, 2, variant);
    const gdb = Deno.readTextFileSync(join(USER, "reference", variant, "threads.gcore.gdb.txt"));
    const core = openUserCore(variant, "threads.gcore");
    let checked = 0;
    for (const t of core.threads) {
      const fsBase = t.registers[58]!;
      const ctx: ExprContext = { tlsAddress: (off) => staticTlsAddress(fsBase, modOffset!, off) };
      const idLoc = evaluateLocation(locs.get("tls_id")!, ctx);
      const tagLoc = evaluateLocation(locs.get("tls_tag")!, ctx);
      assert.ok(idLoc.kind === "memory" && tagLoc.kind === "memory");
      // The same addresses through the thread's DTV (the executable is module 1).
      const off = (l: Uint8Array) =>
        new DataView(l.buffer, l.byteOffset + 1, 8).getBigUint64(0, true);
      assert.equal(dtvTlsAddress(core.read, fsBase, 1, off(locs.get("tls_id")!)), idLoc.address);
      const idBytes = core.read(idLoc.address, 4);
      const id = new DataView(idBytes.buffer, idBytes.byteOffset, 4).getInt32(0, true);
      const tagBytes = core.read(tagLoc.address, 16);
      const tag = new TextDecoder().decode(tagBytes.subarray(0, tagBytes.indexOf(0)));
      const idRef = new RegExp(`LWP ${t.tid}\\) tls_id = (-?\\d+)`).exec(gdb);
      const tagRef = new RegExp(`LWP ${t.tid}\\) tls_tag = "([^"\\\\]*)`).exec(gdb);
      assert.ok(idRef !== null && tagRef !== null, `gdb has no TLS for ${t.tid}`);
      assert.equal(id, Number(idRef[1]), `${variant} ${t.tid} tls_id`);
      assert.equal(tag, tagRef[1], `${variant} ${t.tid} tls_tag`);
      checked++;
    }
    assert.equal(checked, 5, variant);
    core.close();
  }
});

Deno.test("staticTlsOffsets follows glibc's variant II layout", () => {
  // One module: rounded up to its alignment.
  assert.deepEqual(staticTlsOffsets([{ memsz: 0x20, align: 16, vaddr: 0x3d70n }]), [0x20]);
  assert.deepEqual(staticTlsOffsets([{ memsz: 0x14, align: 16, vaddr: 0n }]), [0x20]);
  // Two modules: the second below the first, aligned.
  assert.deepEqual(
    staticTlsOffsets([{ memsz: 0x14, align: 8, vaddr: 0n }, { memsz: 0x90, align: 64, vaddr: 0n }]),
    [0x18, 0xc0],
  );
  // A misaligned first byte (p_vaddr % align = 8).
  assert.deepEqual(staticTlsOffsets([{ memsz: 0x10, align: 16, vaddr: 0x1008n }]), [0x18]);
  assert.throws(() => staticTlsOffsets([{ memsz: 8, align: 12, vaddr: 0n }]), RangeError);
});
