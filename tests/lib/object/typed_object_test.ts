import assert from "node:assert/strict";
import { MockProgram } from "../../_mock_program.ts";
import { makeType, type Type, TypeMember } from "../../../lib/types/type.ts";
import {
  makeObject,
  newReference,
  newValue,
  type TypedObject,
} from "../../../lib/object/typed_object.ts";
import {
  cast,
  containerOf,
  NULL,
  offsetof,
  reinterpret,
  sizeof,
} from "../../../lib/object/operators.ts";
import { FaultError, ObjectAbsentError } from "../../../lib/errors.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

function setup() {
  const prog = new MockProgram();
  const int = prog.type("int");
  const ulong = prog.type("unsigned long");
  const char = prog.type("char");
  // struct node { struct node *next; long value; unsigned int a : 3, b : 5; char name[8]; }
  const node: Type = makeType.struct("node", 32, () => [
    new TypeMember(() => nodePtr, "next", 0),
    new TypeMember(prog.type("long"), "value", 64),
    new TypeMember(prog.type("unsigned int"), "a", 128, 3),
    new TypeMember(prog.type("unsigned int"), "b", 131, 5),
    new TypeMember(makeType.array(char, 8), "name", 192),
  ]);
  const nodePtr = prog.pointerType(node);
  prog.types.set("struct node", node);
  prog.types.set("struct node *", nodePtr);
  // Two nodes in memory at 0x1000 and 0x1020.
  const mem = new Uint8Array(64);
  const dv = new DataView(mem.buffer);
  dv.setBigUint64(0, 0x1020n, true);
  dv.setBigInt64(8, -5n, true);
  mem[16] = 0b10101_110; // a = 6, b = 21
  mem.set(new TextEncoder().encode("first\0"), 24);
  dv.setBigUint64(32, 0n, true);
  dv.setBigInt64(40, 77n, true);
  mem.set(new TextEncoder().encode("second!!"), 56);
  prog.map(0x1000n, mem);
  return { prog, int, ulong, node, nodePtr };
}

Deno.test("TypedObject: members as properties, through pointers", () => {
  const { prog, node } = setup();
  const n: Any = newReference(prog, node, 0x1000n);
  assert.equal(n.value.value_(), -5n);
  assert.equal(n.next.value_(), 0x1020n);
  assert.equal(n.next.value.value_(), 77n);
  assert.equal(n.member_("next").member_("value").value_(), 77n);
  assert.equal(n.a.value_(), 6);
  assert.equal(n.b.value_(), 21);
  assert.equal(n.name.string_(), "first");
  assert.equal(n.next.name.string_(), "second!!");
  assert.equal(n.next.next.value_(), 0n);
  assert.equal(n.address_, 0x1000n);
  assert.equal(n.next.value.address_, 0x1028n);
});

Deno.test("TypedObject: subscripts on arrays and pointers, negative indices", () => {
  const { prog, node, nodePtr } = setup();
  const n: Any = newReference(prog, node, 0x1000n);
  assert.equal(n.name[1].value_(), "i".charCodeAt(0));
  const p: Any = newValue(prog, nodePtr, 0x1020n);
  assert.equal(p[0].value.value_(), 77n);
  assert.equal(p[-1].value.value_(), -5n);
  assert.equal(p.deref_().address_, 0x1020n);
  assert.deepEqual([...n.name].map((c: TypedObject) => c.value_()).slice(0, 3), [102, 105, 114]);
});

Deno.test("TypedObject: elements and members of elements have the addresses and values of objects made there", () => {
  const { prog, node, nodePtr } = setup();
  const arr: Any = newReference(prog, makeType.array(node, 2), 0x1000n);
  for (let i = 0; i < 2; i++) {
    const at: Any = newReference(prog, node, 0x1000n + BigInt(i * 32));
    for (const e of [arr[i], arr.subscript_(i), arr.subscript_(BigInt(i))]) {
      assert.equal(e.address_, at.address_);
      assert.equal(e.value.address_, at.value.address_);
      assert.equal(e.value.value_(), at.value.value_());
      assert.equal(e.next.value_(), at.next.value_());
      assert.equal(e.b.value_(), at.b.value_());
      assert.equal(e.name[7].address_, 0x1000n + BigInt(i * 32 + 24 + 7));
      assert.deepEqual(e.toBytes_(), at.toBytes_());
      assert.deepEqual(e.value_(), at.value_());
    }
  }
  assert.equal(arr[1].value.value_(), 77n);
  // An element's address is computed once asked, and stays the same.
  const e: Any = arr[1].name;
  assert.equal(e.address_, 0x1038n);
  assert.equal(e.address_, 0x1038n);
  assert.equal(e[2].value_(), "c".charCodeAt(0));
  // Far indices fold into the address, and addresses wrap at 64 bits, as
  // with bigint indices.
  const p: Any = newValue(prog, nodePtr, 0x1020n);
  for (const i of [2 ** 52, -(2 ** 52), 2 ** 45 + 3, -1, -0x1000]) {
    const want = BigInt.asUintN(64, 0x1020n + BigInt(i) * 32n);
    assert.equal(p[i].address_, want, `p[${i}]`);
    assert.equal(p.subscript_(BigInt(i)).address_, want);
    assert.equal(p[i].value.address_, BigInt.asUintN(64, want + 8n));
    assert.equal(arr.subscript_(i).address_, BigInt.asUintN(64, 0x1000n + BigInt(i) * 32n));
  }
  for (const i of [2 ** 60, -(2 ** 60), 2 ** 53, -(2 ** 50) - 1]) {
    const want = BigInt.asUintN(64, 0x1038n + BigInt(i));
    assert.equal(arr[1].name[i].address_, want, `name[${i}]`);
    assert.equal(arr[1].name[i].addressOf_().value_(), want);
  }
  assert.throws(() => p[-(0x1020 / 32) - 1].value.value_(), (e: unknown) => {
    return e instanceof FaultError && e.address === 0xffffffffffffffe8n;
  });
  assert.throws(() => arr.subscript_(1.5), RangeError);
  assert.throws(() => p.subscript_(1.5), RangeError);
});

Deno.test("TypedObject: read_() gives values that decode the same", () => {
  const { prog, node } = setup();
  const v: Any = newReference(prog, node, 0x1000n).read_();
  assert.equal(v.kind_, "value");
  assert.equal(v.value.value_(), -5n);
  assert.equal(v.a.value_(), 6);
  assert.equal(v.b.value_(), 21);
  assert.equal(v.name.string_(), "first");
  assert.deepEqual(v.value_(), {
    next: 0x1020n,
    value: -5n,
    a: 6,
    b: 21,
    name: [102, 105, 114, 115, 116, 0, 0, 0],
  });
});

Deno.test("TypedObject: unmapped memory faults with the address", () => {
  const { prog, node } = setup();
  const n: Any = newReference(prog, node, 0x1020n);
  assert.throws(() => n.next.value.value_(), (e: unknown) => {
    return e instanceof FaultError && e.address === 8n;
  });
});

Deno.test("TypedObject: absent objects", () => {
  const { prog, int } = setup();
  const a = makeObject(prog, int, { absent: true });
  assert.equal(a.absent_, true);
  assert.throws(() => a.value_(), ObjectAbsentError);
});

Deno.test("operators: C arithmetic and pointer arithmetic", () => {
  const { prog, int, nodePtr } = setup();
  const x = newValue(prog, int, 7n);
  assert.equal(x.add_(3).value_(), 10);
  assert.equal(x.sub_(10).value_(), -3);
  assert.equal(x.div_(-2).value_(), -3); // C truncates toward zero
  assert.equal(x.mod_(-2).value_(), 1);
  const u = newValue(prog, prog.type("unsigned int"), 1n);
  // int + unsigned int is unsigned int: -1 + 1u wraps.
  assert.equal(newValue(prog, int, -1n).add_(u).value_(), 0);
  assert.equal(newValue(prog, int, -2n).add_(u).value_(), 0xffffffff);
  assert.equal(newValue(prog, int, -1n).lt_(u), false); // -1 < 1u is false in C
  const p = newValue(prog, nodePtr, 0x1000n);
  assert.equal(p.add_(1).value_(), 0x1020n);
  assert.equal(p.add_(1).sub_(p).value_(), 1n);
  assert.equal(x.lshift_(2).value_(), 28);
  assert.equal(x.not_().value_(), -8);
  assert.equal(newValue(prog, int, 5n).eq_(5), true);
});

Deno.test("cast, reinterpret, containerOf, NULL, sizeof, offsetof", () => {
  const { prog, node, nodePtr } = setup();
  const n: Any = newReference(prog, node, 0x1000n);
  assert.equal(cast("unsigned int", n.value).value_(), 0xfffffffb);
  assert.equal(cast("char", newValue(prog, prog.type("int"), 300n)).value_(), 44);
  assert.equal(reinterpret("unsigned long", n.value).value_(), 0xfffffffffffffffbn);
  const valuePtr = n.value.addressOf_();
  const c: Any = containerOf(valuePtr, node, "value");
  assert.equal(c.value_(), 0x1000n);
  assert.equal(c.next.value_(), 0x1020n);
  assert.equal(NULL(prog, nodePtr).value_(), 0n);
  assert.equal(sizeof(node), 32);
  assert.equal(offsetof(node, "name[3]"), 27);
  assert.throws(() => offsetof(node, "b"), /byte-aligned/);
});
