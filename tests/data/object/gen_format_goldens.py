#!/usr/bin/python3
"""Writes format_object_goldens.json: drgn 0.0.22's str(obj) and
obj.format_(**options) for objects built with drgn's type constructors over a
memory image (reference objects), from bytes (value objects) and absent.

Run with Debian's python3-drgn interpreter (it writes the file next to itself):
    /usr/bin/python3 tests/data/object/gen_format_goldens.py

The type notation is tests/data/types/gen_format_goldens.py's (read by
tests/lib/types/_type_notation.ts). Each case is
  {"name", "type": T, "object": {"address": "0x…"} | {"bytes": hex} | {"absent": true},
   "formats": {option_set_name: {"value": str} | {"error": cls, "message": str}}}
and "memory" lists the mapped segments as [address, hex bytes]. Option sets
are drgn's keyword arguments ("option_sets").
"""

import json
import math
import os
import random
import struct as st

import drgn
from drgn import Object, Program, Qualifiers, TypeEnumerator, TypeMember, TypeParameter

Q = {"const": Qualifiers.CONST, "volatile": Qualifiers.VOLATILE,
     "restrict": Qualifiers.RESTRICT, "_Atomic": Qualifiers.ATOMIC}

INT = {"int": "int", "size": 4, "signed": True}
UINT = {"int": "unsigned int", "size": 4, "signed": False}
CHAR = {"int": "char", "size": 1, "signed": True}
SCHAR = {"int": "signed char", "size": 1, "signed": True}
UCHAR = {"int": "unsigned char", "size": 1, "signed": False}
SHORT = {"int": "short", "size": 2, "signed": True}
USHORT = {"int": "unsigned short", "size": 2, "signed": False}
LONG = {"int": "long", "size": 8, "signed": True}
ULONG = {"int": "unsigned long", "size": 8, "signed": False}
LL = {"int": "long long", "size": 8, "signed": True}
ULL = {"int": "unsigned long long", "size": 8, "signed": False}
BOOL = {"bool": "_Bool", "size": 1}
FLOAT = {"float": "float", "size": 4}
DOUBLE = {"float": "double", "size": 8}
VOID = {"void": True}
UINT8 = {"typedef": "uint8_t", "type": UCHAR}
SIZE_T = {"typedef": "size_t", "type": ULONG}


def q(t, *quals):
    return dict(t, qualifiers=list(quals))


def ptr(t, *quals):
    return {"pointer": t, "qualifiers": list(quals)}


def arr(t, n):
    return {"array": t, "length": n}


def fn(ret, params, variadic=False):
    return {"function": ret, "parameters": [{"type": p[0], "name": p[1]} for p in params],
            "variadic": variadic}


def m(t, name, bit_offset=0, bit_field_size=0):
    return {"type": t, "name": name, "bitOffset": bit_offset, "bitFieldSize": bit_field_size}


def struct(tag, size, members, kind="struct"):
    return {kind: tag, "size": size, "members": members}


def enum(tag, compat, enumerators):
    return {"enum": tag, "compatible": compat,
            "enumerators": None if enumerators is None else [[n, str(v)] for n, v in enumerators]}


COLOR = enum("color", UINT, [("RED", 0), ("GREEN", 5), ("BLUE", 6)])
SENUM = enum("signed_enum", INT, [("NEG_MIN", -2**31), ("NEG_ONE", -1), ("ZERO", 0), ("POS", 100)])
BIGENUM = enum("big_enum", ULONG, [("BIG_A", 2**32), ("BIG_B", 2**64 - 1)])
NEGBIG = enum("neg_big_enum", LONG, [("NB_MIN", -2**63), ("NB_MAX", 2**63 - 1)])
FLAGS = enum("flags", UINT, [("F_A", 1), ("F_B", 2), ("F_C", 4)])
DUPS = enum("dups", INT, [("FIRST", 1), ("ALIAS", 1), ("TWO", 2)])
SMALLENUM = enum("small_enum", UCHAR, [("S_A", 0), ("S_B", 200)])
POINT = struct("point", 8, [m(INT, "x", 0), m(INT, "y", 32)])
RECT = struct("rect", 24, [m(POINT, "tl", 0), m(POINT, "br", 64), m(ptr(q(CHAR, "const")), "name", 128)])
BITS = struct("bits", 24, [
    m(UINT, "a", 0, 1), m(UINT, "b", 1, 3), m(INT, "c", 4, 4), m(UINT, "d", 8, 7),
    m(INT, "e", 15, 5), m(UINT, "f", 20, 12), m(ULL, "g", 32, 40), m(LL, "h", 72, 23),
    m(BOOL, "flag", 95, 1), m(COLOR, "col", 96, 3), m(UINT, "after_zero", 128, 2),
    m(UINT8, "small", 130, 3), m(UINT8, "small2", 133, 3),
])
WITH_ANON = struct("with_anon", 24, [
    m(INT, "kind", 0),
    m(struct(None, 4, [m(INT, "i"), m(FLOAT, "f"), m(arr(UCHAR, 4), "raw")], "union"), None, 32),
    m(struct(None, 4, [m(SHORT, "a"), m(SHORT, "b", 16)]), None, 64),
    m(struct(None, 12, [
        m(INT, "inner_x"),
        m(struct(None, 1, [m(CHAR, "deep")]), "inner2", 32),
        m(struct(None, 4, [m(struct(None, 4, [m(INT, "deepest")], "union"), None)]), None, 64),
    ]), "named_inner", 96),
])
ANON_T = {"typedef": "anon_t", "type": struct(None, 4, [m(INT, "v")])}
WITH_TYPEDEF_ANON = struct("with_typedef_anon", 8, [m(ANON_T, None, 0), m(INT, "after", 32)])
FLEX = struct("flex", 8, [m(SIZE_T, "len", 0), m(arr(INT, None), "data", 64)])
ZLA = struct("zla", 4, [m(INT, "n", 0), m(arr(CHAR, 0), "tail", 32)])
EMPTY = struct("empty", 0, [])
OPAQUE = struct("opaque", None, None)
U_MIXED = struct("u_mixed", 4, [
    m(UINT, "word", 0), m(arr(UINT8, 4), "b", 0), m(FLOAT, "f", 0),
    m(struct(None, 4, [m(USHORT, "lo", 0), m(USHORT, "hi", 16)]), "halves", 0),
], "union")
OPS = struct("ops", 24, [
    m(ptr(fn(INT, [(ptr(q(CHAR, "const")), None), (INT, None)])), "open", 0),
    m(ptr(fn(VOID, [(INT, None)])), "close", 64),
    m(ptr(fn(LONG, [(INT, None), (ULONG, None)], True)), "ioctl", 128),
])
MANY = struct("many", 64, [m(LONG, "m%d" % i, 64 * i) for i in range(8)])
PADDED = struct("padded", 24, [m(CHAR, "c", 0), m(DOUBLE, "d", 64), m(SHORT, "s", 128)])
# Malformed: the last member lies past the struct's size (drgn reads it anyway).
PAST_SIZE = struct("past_size", 8, [m(INT, "a", 0), m(INT, "b", 32), m(INT, "c", 64)])
PAST_SIZE_STR = struct("past_size_str", 4, [m(INT, "a", 0), m(arr(CHAR, 8), "s", 32)])
SPARSE = struct("sparse", 20, [m(INT, "a", 0), m(INT, "b", 32), m(INT, "c", 64), m(INT, "d", 96),
                               m(INT, "e", 128)])
NESTED_ZERO = struct("nested_zero", 24, [m(INT, "a", 0), m(POINT, "p", 32), m(INT, "z", 96),
                                         m(POINT, "q", 128)])

DEFS = {
    "list_head": struct("list_head", 16, [
        m(ptr({"ref": "list_head"}), "next", 0), m(ptr({"ref": "list_head"}), "prev", 64)]),
    "self_ref": struct("self_ref", 24, [
        m(INT, "id", 0), m(ptr({"ref": "self_ref"}), "next", 64), m(ptr({"ref": "self_ref"}), "self", 128)]),
}
LIST_HEAD = {"ref": "list_head"}
SELF_REF = {"ref": "self_ref"}

# ---------------------------------------------------------------------------
# Option sets: drgn_ref.py's twelve, plus column sweeps and combinations.
OPTION_SETS = {
    "str": None,
    "default": {},
    "no_type_names": dict(type_name=False, member_type_names=False, element_type_names=False),
    "element_type_names": dict(element_type_names=True),
    "members_same_line": dict(members_same_line=True),
    "columns_40": dict(columns=40),
    "elements_one_per_line": dict(elements_same_line=False),
    "no_member_names": dict(member_names=False),
    "element_indices": dict(element_indices=True),
    "implicit": dict(implicit_members=False, implicit_elements=True),
    "char": dict(char=True),
    "no_string": dict(string=False),
    "no_dereference": dict(dereference=False),
    "no_symbolize": dict(symbolize=False),
    "no_implicit_members": dict(implicit_members=False),
    "no_implicit_members_no_names": dict(implicit_members=False, member_names=False),
    "indices_implicit": dict(element_indices=True, implicit_elements=True),
    "indices_one_per_line": dict(element_indices=True, elements_same_line=False),
    "same_line_all": dict(members_same_line=True, elements_same_line=True, element_type_names=True),
    "bare": dict(type_name=False, member_type_names=False, member_names=False,
                 members_same_line=True),
    "no_type_name_only": dict(type_name=False),
    "no_member_type_names": dict(member_type_names=False),
}
WRAP_COLUMNS = [0, 1, 2, 3, 4, 5, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 35, 40, 45,
                50, 60, 70, 80, 100, 120]
WRAP_SETS = {}
for c in WRAP_COLUMNS:
    WRAP_SETS["columns_%d" % c] = dict(columns=c)
    WRAP_SETS["columns_%d_members_same_line" % c] = dict(columns=c, members_same_line=True)
    WRAP_SETS["columns_%d_indices" % c] = dict(columns=c, element_indices=True)
    WRAP_SETS["columns_%d_bare" % c] = dict(columns=c, type_name=False, member_type_names=False,
                                           members_same_line=True)
OPTION_SETS.update(WRAP_SETS)
BASIC_SETS = [k for k in OPTION_SETS if k not in WRAP_SETS]

# ---------------------------------------------------------------------------
prog = Program(drgn.host_platform)
built_defs = {}


def quals(node):
    qu = Qualifiers.NONE
    for n in node.get("qualifiers", []):
        qu |= Q[n]
    return qu


def member_object(mm):
    t = build(mm["type"])
    if mm["bitFieldSize"]:
        return Object(prog, t, bit_field_size=mm["bitFieldSize"])
    return t


def build(node):
    qu = quals(node)
    if "void" in node:
        return prog.void_type(qualifiers=qu)
    if "ref" in node:
        key = node["ref"]
        if key not in built_defs:
            built_defs[key] = build(DEFS[key])
        return built_defs[key]
    if "int" in node:
        return prog.int_type(node["int"], node["size"], node["signed"], qualifiers=qu)
    if "bool" in node:
        return prog.bool_type(node["bool"], node["size"], qualifiers=qu)
    if "float" in node:
        return prog.float_type(node["float"], node["size"], qualifiers=qu)
    if "pointer" in node:
        return prog.pointer_type(build(node["pointer"]), qualifiers=qu)
    if "array" in node:
        return prog.array_type(build(node["array"]), node["length"], qualifiers=qu)
    if "typedef" in node:
        return prog.typedef_type(node["typedef"], build(node["type"]), qualifiers=qu)
    if "function" in node:
        params = [TypeParameter((lambda p=p: build(p["type"])), p["name"]) for p in node["parameters"]]
        return prog.function_type(build(node["function"]), params, node["variadic"], qualifiers=qu)
    if "enum" in node:
        compat = build(node["compatible"]) if node["compatible"] is not None else None
        enumerators = None
        if node["enumerators"] is not None:
            enumerators = [TypeEnumerator(n, int(v)) for n, v in node["enumerators"]]
        return prog.enum_type(node["enum"], compat, enumerators, qualifiers=qu)
    for kind, ctor in (("struct", prog.struct_type), ("union", prog.union_type), ("class", prog.class_type)):
        if kind in node:
            members = None
            if node["members"] is not None:
                members = [TypeMember((lambda mm=mm: member_object(mm)), mm["name"], mm["bitOffset"])
                           for mm in node["members"]]
            return ctor(node[kind], node["size"], members, qualifiers=qu)
    raise ValueError(node)


# ---------------------------------------------------------------------------
# Memory: segment A (0x10000, 64 KiB) holds most objects; each "edge"
# segment holds a few bytes that end where the mapped memory ends, for faults.
SEG_A, SEG_A_SIZE = 0x10000, 0x10000
mem_a = bytearray(SEG_A_SIZE)
cursor = [SEG_A]
edges = []


def place(data, align=16):
    addr = (cursor[0] + align - 1) & ~(align - 1)
    off = addr - SEG_A
    mem_a[off:off + len(data)] = data
    cursor[0] = addr + len(data)
    return addr


def place_edge(data):
    """Maps `data` alone, ending at a page boundary (unmapped after it)."""
    end = 0x31000 + 0x1000 * len(edges)
    addr = end - len(data)
    edges.append((addr, bytes(data)))
    prog.add_memory_segment(addr, len(data), lambda a, n, off, phys, d=bytes(data): d[off:off + n])
    return addr


prog.add_memory_segment(SEG_A, SEG_A_SIZE, lambda a, n, off, phys: bytes(mem_a[off:off + n]))

cases = []


def case(name, node, obj, sets=None):
    cases.append({"name": name, "type": node, "object": obj, "sets": sets or BASIC_SETS})


def ref(name, node, data, sets=None, align=16):
    addr = place(data, align)
    case(name, node, {"address": hex(addr)}, sets)
    return addr


def val(name, node, data, sets=None):
    case(name, node, {"bytes": bytes(data).hex()}, sets)


def absent(name, node, sets=None):
    case(name, node, {"absent": True}, sets)


def at(name, node, addr, sets=None):
    case(name, node, {"address": hex(addr)}, sets)


P = st.pack

# Scalars.
for v in [0, 1, -1, 2**31 - 1, -2**31, 123456]:
    ref("int %d" % v, INT, P("<i", v))
    val("int value %d" % v, INT, P("<i", v))
for v in [0, 4000000000, 2**32 - 1]:
    ref("unsigned int %d" % v, UINT, P("<I", v))
for v in [0, -2**63, 2**63 - 1, -1234567890123]:
    ref("long %d" % v, LONG, P("<q", v))
for v in [2**64 - 1, 81985529216486895]:
    ref("unsigned long %d" % v, ULONG, P("<Q", v))
for v in [-32768, 65000]:
    ref("short %d" % v, SHORT if v < 0 else USHORT, P("<h" if v < 0 else "<H", v))
for v in [0, 1, 2, 255]:
    ref("_Bool %d" % v, BOOL, bytes([v]))
for c in list(range(0, 0x20)) + [0x20, 0x22, 0x27, 0x41, 0x5c, 0x61, 0x7e, 0x7f, 0x80, 0xfb, 0xff]:
    ref("char %d" % c, CHAR, bytes([c]), ["str", "char", "no_type_names"])
for c in [0x61, 0xfb]:
    ref("signed char %d" % c, SCHAR, bytes([c]), ["str", "char"])
    ref("unsigned char %d" % c, UCHAR, bytes([c]), ["str", "char"])
    ref("uint8_t %d" % c, UINT8, bytes([c]), ["str", "char"])
    ref("const char %d" % c, q(CHAR, "const"), bytes([c]), ["str", "char"])
ref("short with char", SHORT, P("<h", 97), ["str", "char"])
ref("const volatile unsigned long", q(ULONG, "const", "volatile"), P("<Q", 3735928559))
ref("typedef int", {"typedef": "myint", "type": INT}, P("<i", 7))

# Floats: special values, integral values, ties and random doubles.
DOUBLES = [0.0, -0.0, 1.0, -1.0, 0.5, 0.1, -0.3, 2.5, 6.5, 1e-5, 1e-4, 1e-3, 123456789.5,
           1.5e16, 1e21, 1e22, 1e300, 1.7976931348623157e308, 5e-324, 2.2250738585072014e-308,
           math.pi, math.e, 100000000000000.125, 2.0**52 + 0.5, 0.000123, 12345.678,
           float("inf"), float("-inf"), float("nan"), 4503599627370495.5, 9007199254740993.0,
           1e16, 1e17, 0.30000000000000004, 1.0 / 3]
rng = random.Random(20240601)
for _ in range(60):
    DOUBLES.append(st.unpack("<d", st.pack("<Q", rng.getrandbits(64)))[0])
for _ in range(40):
    DOUBLES.append(rng.uniform(-1e6, 1e6))
for _ in range(20):
    DOUBLES.append(rng.randint(-10**6, 10**6) / 8)
for i, d in enumerate(DOUBLES):
    ref("double %d (%r)" % (i, d), DOUBLE, P("<d", d), ["str"])
FLOATS = [0.0, -0.0, 1.0, 0.1, 3.14159, -2.5, 1e-40, 3.4e38, float("inf"), float("nan"), 12.141422271728516]
for _ in range(40):
    FLOATS.append(st.unpack("<f", st.pack("<I", rng.getrandbits(32)))[0])
for i, d in enumerate(FLOATS):
    ref("float %d (%r)" % (i, d), FLOAT, P("<f", d), ["str"])
ref("negative nan double", DOUBLE, P("<Q", 0xfff8000000000000), ["str"])
ref("negative nan float", FLOAT, P("<I", 0xffc00000), ["str"])
ref("nan with payload", DOUBLE, P("<Q", 0x7ff0000000000001), ["str"])
val("double value 0.1", DOUBLE, P("<d", 0.1), ["str"])
val("float value 0.1", FLOAT, P("<f", 0.1), ["str"])

# Enums.
for v in [0, 5, 6, 7, 42]:
    ref("enum color %d" % v, COLOR, P("<I", v))
for v in [-2**31, -1, 0, 100, -2]:
    ref("enum signed %d" % v, SENUM, P("<i", v))
for v in [2**32, 2**64 - 1, 3]:
    ref("enum big %d" % v, BIGENUM, P("<Q", v))
for v in [-2**63, 2**63 - 1, 0]:
    ref("enum neg big %d" % v, NEGBIG, P("<q", v))
for v in [5, 7, 0, 2]:
    ref("enum flags %d" % v, FLAGS, P("<I", v))
ref("enum dups 1", DUPS, P("<i", 1))
ref("enum small 200", SMALLENUM, bytes([200]))
ref("incomplete enum", enum("later", None, None), P("<i", 1))
ref("anonymous enum", enum(None, UINT, [("ANON_X", 1), ("ANON_Y", 2)]), P("<I", 2))
ref("typedef enum", {"typedef": "color_t", "type": COLOR}, P("<I", 5))

# Pointers.
g_int = ref("g_int", INT, P("<i", -123456))
ref("int *", ptr(INT), P("<Q", g_int))
ref("int * const volatile", ptr(INT, "const", "volatile"), P("<Q", g_int))
ref("null int *", ptr(INT), P("<Q", 0))
ref("dangling int *", ptr(INT), P("<Q", 0x10))
p_int = ref("int * for **", ptr(INT), P("<Q", g_int))
pp = ref("int **", ptr(ptr(INT)), P("<Q", p_int))
ref("int ***", ptr(ptr(ptr(INT))), P("<Q", pp))
ref("void * to int", ptr(VOID), P("<Q", g_int))
ref("void * null", ptr(VOID), P("<Q", 0))
ref("typedef void *", ptr({"typedef": "_IO_lock_t", "type": VOID}), P("<Q", g_int))
ref("pointer to incomplete struct", ptr(OPAQUE), P("<Q", g_int))
ref("pointer to typedef incomplete", ptr({"typedef": "opaque_t", "type": OPAQUE}), P("<Q", g_int))
ref("pointer to incomplete enum", ptr(enum("later", None, None)), P("<Q", g_int))
ref("pointer to incomplete array", ptr(arr(INT, None)), P("<Q", g_int))
ref("pointer to function", ptr(fn(INT, [(INT, None), (INT, None)])), P("<Q", g_int))
ref("typedef pointer to function", {"typedef": "binop_t", "type": ptr(fn(INT, [(INT, None), (INT, None)]))},
    P("<Q", g_int))
ref("null function pointer", ptr(fn(VOID, [])), P("<Q", 0))
g_point = ref("g_point", POINT, P("<ii", 5, 6))
ref("struct point *", ptr(POINT), P("<Q", g_point))
ref("typedef point_t *", ptr({"typedef": "point_t", "type": POINT}), P("<Q", g_point))
ref("pointer to typedef pointer", {"typedef": "pp_t", "type": ptr({"typedef": "point_t", "type": POINT})},
    P("<Q", g_point))
ref("const struct point *", ptr(q(POINT, "const")), P("<Q", g_point))
g_matrix = ref("g_matrix", arr(arr(INT, 4), 3), P("<12i", 0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23))
ref("int (*)[4]", ptr(arr(INT, 4)), P("<Q", g_matrix + 16))
ref("int (*)[0]", ptr(arr(INT, 0)), P("<Q", g_matrix))
ref("int * into array", ptr(INT), P("<Q", g_matrix + 36))
g_empty = ref("g_empty", EMPTY, b"")
ref("struct empty *", ptr(EMPTY), P("<Q", g_matrix))
ref("pointer to partly mapped struct", ptr(POINT), P("<Q", place_edge(P("<i", 77))))
ref("pointer to pointer to incomplete", ptr(ptr(OPAQUE)), P("<Q", p_int))
ref("pointer to bool", ptr(BOOL), P("<Q", g_int))
ref("pointer to double", ptr(DOUBLE), P("<Q", ref("g_double", DOUBLE, P("<d", 2.5))))
ref("pointer to enum", ptr(COLOR), P("<Q", ref("g_color", COLOR, P("<I", 6))))
ref("pointer to char array", ptr(arr(CHAR, 8)), P("<Q", ref("g_chars8", arr(CHAR, 8), b"hi\0\0\0\0\0\0")))

# Strings.
s_hello = place(b"hello\0")
ref("char * hello", ptr(CHAR), P("<Q", s_hello))
ref("const char * hello", ptr(q(CHAR, "const")), P("<Q", s_hello))
ref("unsigned char *", ptr(UCHAR), P("<Q", s_hello))
ref("signed char *", ptr(SCHAR), P("<Q", s_hello))
ref("uint8_t * (not a string)", ptr(UINT8), P("<Q", s_hello))
ref("char * null", ptr(CHAR), P("<Q", 0))
ref("char * unmapped", ptr(CHAR), P("<Q", 0x10))
ref("char * empty", ptr(CHAR), P("<Q", place(b"\0")))
s_esc = place(b"tab\there\nnl \"q\" \\ \x01\x7f\xff ' end\0")
ref("char * escapes", ptr(CHAR), P("<Q", s_esc))
ref("char * to unterminated tail", ptr(CHAR), P("<Q", place_edge(b"abc")))
ref("char * to terminated tail", ptr(CHAR), P("<Q", place_edge(b"tail\0xyz")))
ref("char * long", ptr(CHAR), P("<Q", place(bytes(range(0x20, 0x7f)) * 3 + b"\0")))
ref("char * across pages", ptr(CHAR), P("<Q", place(b"x" * 5000 + b"\0")))
ref("char [16]", arr(CHAR, 16), b"hello, world\0\0\0\0")
ref("char [5] no NUL", arr(CHAR, 5), b"abcde")
ref("char [1] empty", arr(CHAR, 1), b"\0")
ref("char [26] escapes", arr(CHAR, 26), b"tab\there\nnl \"q\" \\ \x01\x7f\xff end\0")
ref("unsigned char [8] zeros", arr(UCHAR, 8), bytes(8))
ref("unsigned char [4] DCBA", arr(UCHAR, 4), b"DCBA")
ref("signed char [4]", arr(SCHAR, 4), b"\xff\x80\x7f\0")
ref("uint8_t [4]", arr(UINT8, 4), b"\0\0\x80\x3f")
ref("const char [6]", arr(q(CHAR, "const"), 6), b"const\0")
ref("char [4][8]", arr(arr(CHAR, 8), 4), b"one\0\0\0\0\0two\0\0\0\0\0three\0\0\0four\0\0\0\0")
ref("char [0]", arr(CHAR, 0), b"")
ref("char [200]", arr(CHAR, 200), (b"abcdefghijklmnopqrstuvwxyz" * 8)[:199] + b"\0")
ref("typedef char name_t[8]", {"typedef": "name_t", "type": arr(CHAR, 8)}, b"name\0\0\0\0")
at("char [8] tail after NUL unmapped", arr(CHAR, 8), place_edge(b"ab\0\0"))
at("char [8] unterminated into unmapped", arr(CHAR, 8), place_edge(b"abcd"))
val("char [4] value", arr(CHAR, 4), b"abcd")
val("char [6] value with NUL", arr(CHAR, 6), b"ab\0cd\0")

# Arrays.
ref("int [4]", arr(INT, 4), P("<4i", 1, 2, 3, 4))
ref("int [10] trailing zeros", arr(INT, 10), P("<10i", 0, 1, 0, 3, 0, 0, 0, 0, 0, 0))
ref("int [3] zeros", arr(INT, 3), bytes(12))
ref("int []", arr(INT, None), P("<i", 1))
ref("int [0]", arr(INT, 0), b"")
ref("short [2][2]", arr(arr(SHORT, 2), 2), P("<4h", -1, -2, -3, -4))
at("int [3][4]", arr(arr(INT, 4), 3), g_matrix)
ref("double [2][3][4]", arr(arr(arr(DOUBLE, 4), 3), 2), P("<24d", *[i + 0.5 for i in range(24)]))
ref("int [3][10] partial", arr(arr(INT, 10), 3), P("<30i", *([1] + [0] * 9 + [2, 2] + [0] * 8 + [3] * 3 + [0] * 7)))
ref("struct point [3]", arr(POINT, 3), P("<6i", 1, -1, 2, -2, 3, -3))
ref("struct point [3] trailing zero", arr(POINT, 3), P("<6i", 1, -1, 0, 0, 0, 0))
ref("struct point [2][2]", arr(arr(POINT, 2), 2), P("<8i", 0, 0, 0, 1, 1, 0, 1, 1))
ref("const char *[4]", arr(ptr(q(CHAR, "const")), 4), P("<4Q", s_hello, s_esc, s_hello, 0))
ref("int *[3]", arr(ptr(INT), 3), P("<3Q", g_int, 0, g_int))
ref("function pointers [3]", arr(ptr(fn(INT, [(INT, None), (INT, None)])), 3), P("<3Q", g_int, g_int + 4, 0))
ref("_Bool [4]", arr(BOOL, 4), bytes([1, 0, 1, 0]))
ref("float [3]", arr(FLOAT, 3), P("<3f", 0.5, -0.0, 0.0))
ref("double [3] -0.0 last", arr(DOUBLE, 3), P("<3d", 1.5, 0.0, -0.0))
ref("enum color [4]", arr(COLOR, 4), P("<4I", 6, 0, 5, 0))
ref("int [100]", arr(INT, 100), P("<100i", *range(100, 200)), BASIC_SETS + list(WRAP_SETS))
ref("long [12]", arr(LONG, 12), P("<12q", *[(-7) ** i for i in range(12)]), BASIC_SETS + list(WRAP_SETS))
ref("char *[3] strings", arr(ptr(CHAR), 3), P("<3Q", s_hello, s_esc, 0), BASIC_SETS + list(WRAP_SETS))
ref("typedef int arr10_t[10]", {"typedef": "arr10_t", "type": arr(INT, 10)}, P("<10i", *range(10)))
ref("arr10_t [3]", arr({"typedef": "arr10_t", "type": arr(INT, 10)}, 3), P("<30i", *range(30)))
ref("int [6] sparse", arr(INT, 6), P("<6i", 0, 7, 0, 0, 9, 0), BASIC_SETS + list(WRAP_SETS))
val("int [3] value", arr(INT, 3), P("<3i", 1, 2, 3))
at("int [4] unmapped", arr(INT, 4), 0x40)
at("int [4] partly mapped", arr(INT, 4), place_edge(P("<2i", 1, 2)))

# Structs and unions.
ref("struct point", POINT, P("<ii", 1, 2), BASIC_SETS + list(WRAP_SETS))
ref("struct point zero", POINT, bytes(8))
ref("const struct point", q(POINT, "const"), P("<ii", -1, -2))
ref("volatile struct point", q(POINT, "volatile"), P("<ii", -100, 100))
ref("typedef point_t", {"typedef": "point_t", "type": POINT}, P("<ii", 5, 6))
g_name = place(b"rectangle\0")
ref("struct rect", RECT, P("<iiiiQ", 1, 2, 30, 40, g_name), BASIC_SETS + list(WRAP_SETS))
ref("struct rect unmapped name", RECT, P("<iiiiQ", 1, 2, 30, 40, 0x20), BASIC_SETS + list(WRAP_SETS))
ref("struct bits", BITS, P("<QQQ", 0x123456789abcdef0, 0xfedcba9876543210, 0x0f0f0f0f0f0f0f0f))
ref("struct bits 2", BITS, P("<QQQ", 0x8000000000000000, 0xffffffffffffffff, 0))
ref("struct bits zero", BITS, bytes(24))
ref("struct bits [2]", arr(BITS, 2), P("<6Q", 1, 2, 3, 0xffffffffffffffff, 0xff, 0))
ref("struct with_anon", WITH_ANON, P("<iIhhi", 2, 0x41424344, -7, 8, 99) + b"z\0\0\0" + P("<i", 1234)
    + bytes(4), BASIC_SETS + list(WRAP_SETS))
ref("struct with_anon zero", WITH_ANON, bytes(24))
ref("struct with_typedef_anon", WITH_TYPEDEF_ANON, P("<ii", 3, 4))
ref("struct flex", FLEX, P("<Q4i", 4, 1, 2, 3, 4))
ref("struct zla", ZLA, P("<i", 3) + b"abc\0")
ref("struct empty", EMPTY, b"")
ref("union u_mixed", U_MIXED, P("<f", 1.0), BASIC_SETS + list(WRAP_SETS))
ref("union u_mixed zero", U_MIXED, bytes(4))
ref("struct ops", OPS, P("<3Q", g_int, 0, g_int + 8))
ref("struct many", MANY, P("<8q", *[10 ** i for i in range(8)]), BASIC_SETS + list(WRAP_SETS))
ref("struct padded", PADDED, b"p" + b"\xff" * 7 + P("<d", 6.5) + P("<h", 300) + b"\xee" * 6)
ref("struct padded -0.0", PADDED, bytes(8) + P("<d", -0.0) + bytes(8))
ref("struct sparse", SPARSE, P("<5i", 0, 7, 0, 9, 0), BASIC_SETS + list(WRAP_SETS))
ref("struct nested_zero", NESTED_ZERO, bytes(24))
ref("struct nested_zero 2", NESTED_ZERO, P("<6i", 1, 0, 2, 0, 0, 0), BASIC_SETS + list(WRAP_SETS))
ref("struct past_size", PAST_SIZE, P("<3i", 1, 2, 3))
val("struct past_size value", PAST_SIZE, P("<2i", 1, 2))
ref("struct past_size_str", PAST_SIZE_STR, P("<i", 1) + b"abc\0\0\0\0\0")
at("struct past_size at the end of memory", PAST_SIZE, place_edge(P("<2i", 1, 2)))
ring = place(P("<iiQQ", 0, 0, 0, 0) * 3)
mem_a[ring - SEG_A:ring - SEG_A + 72] = b"".join(
    P("<iiQQ", i, 0, ring + 24 * ((i + 1) % 3), ring + 24 * i) for i in range(3))
at("struct self_ref [3]", arr(SELF_REF, 3), ring, BASIC_SETS + list(WRAP_SETS))
ref("struct self_ref *", ptr(SELF_REF), P("<Q", ring + 24))
lh = place(bytes(16))
mem_a[lh - SEG_A:lh - SEG_A + 16] = P("<QQ", lh, lh)
at("struct list_head (empty list)", LIST_HEAD, lh)
ref("struct list_head *", ptr(LIST_HEAD), P("<Q", lh))
ref("struct rect *", ptr(RECT), P("<Q", ref("g_rect", RECT, P("<iiiiQ", 1, 2, 30, 40, g_name))),
    BASIC_SETS + list(WRAP_SETS))
ref("struct with_anon *", ptr(WITH_ANON), P("<Q", g_int))
ref("struct flex *", ptr(FLEX), P("<Q", ref("g_flex", FLEX, P("<Q", 2))))
at("struct point partly mapped", POINT, place_edge(P("<i", 9)))
at("struct padded tail unmapped", PADDED, place_edge(b"p" + bytes(7) + P("<d", 1.5) + P("<h", 3)))
at("struct point unmapped", POINT, 0x100)
val("struct point value", POINT, P("<ii", 3, 4))
val("struct bits value", BITS, P("<QQQ", 0x123456789abcdef0, 0xfedcba9876543210, 0x0f0f0f0f0f0f0f0f))
val("struct rect value", RECT, P("<iiiiQ", 1, 2, 30, 40, g_name))
val("struct flex value", FLEX, P("<Q", 4))
val("struct zla value", ZLA, P("<i", 3))
val("struct with_anon value", WITH_ANON, P("<iIhhi", 2, 0x41424344, -7, 8, 99) + b"z\0\0\0" + P("<i", 1234)
    + bytes(4), BASIC_SETS + list(WRAP_SETS))
val("union u_mixed value", U_MIXED, P("<f", -2.5))
val("struct self_ref [3] value", arr(SELF_REF, 3), bytes(mem_a[ring - SEG_A:ring - SEG_A + 72]))
val("int * value", ptr(INT), P("<Q", g_int))
val("struct point * value", ptr(POINT), P("<Q", g_point))
val("char * value", ptr(CHAR), P("<Q", s_hello))
val("void * value", ptr(VOID), P("<Q", g_int))
val("enum color value", COLOR, P("<I", 5))
val("_Bool value", BOOL, bytes([1]))
val("char value", CHAR, b"x", ["str", "char"])
val("struct bits [2] value", arr(BITS, 2), P("<6Q", 1, 2, 3, 0xffffffffffffffff, 0xff, 0))
val("struct empty value", EMPTY, b"")
val("int [0] value", arr(INT, 0), b"")
at("incomplete struct", OPAQUE, g_int)
at("function", fn(INT, []), 0x401000)
at("function with params", fn(INT, [(INT, "a"), (ptr(CHAR), "b")], True), 0x401000)
at("void", VOID, g_int)

# Absent objects.
for name, node in [("int", INT), ("int *", ptr(INT)), ("struct point", POINT), ("int [3]", arr(INT, 3)),
                   ("char [4]", arr(CHAR, 4)), ("enum color", COLOR), ("double", DOUBLE),
                   ("function", fn(INT, [])), ("void", VOID), ("incomplete struct", OPAQUE),
                   ("char *", ptr(CHAR))]:
    absent("absent " + name, node)


def attempt(f):
    try:
        return {"value": f()}
    except Exception as e:  # record drgn's error as the golden answer
        return {"error": type(e).__name__, "message": str(e)}


def make_object(c):
    t = build(c["type"])
    o = c["object"]
    if "address" in o:
        return Object(prog, t, address=int(o["address"], 16))
    if "bytes" in o:
        return Object.from_bytes_(prog, t, bytes.fromhex(o["bytes"]))
    return Object(prog, t)


out_cases = []
for c in cases:
    results = {}
    for s in c["sets"]:
        opts = OPTION_SETS[s]

        def run():
            obj = make_object(c)
            return str(obj) if opts is None else obj.format_(**opts)
        results[s] = attempt(run)
    out_cases.append({"name": c["name"], "type": c["type"], "object": c["object"], "formats": results})

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "format_object_goldens.json")
with open(OUT, "w") as f:
    json.dump({
        "generator": "gen_format_goldens.py",
        "drgn_version": drgn.__version__,
        "defs": DEFS,
        "memory": [[hex(SEG_A), bytes(mem_a[:cursor[0] - SEG_A]).hex()]] + [[hex(a), d.hex()] for a, d in edges],
        "option_sets": OPTION_SETS,
        "cases": out_cases,
    }, f, indent=0)
    f.write("\n")
print("%d cases, %d formats" % (len(out_cases), sum(len(c["formats"]) for c in out_cases)))
