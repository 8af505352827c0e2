#!/usr/bin/python3
"""Writes format_type_goldens.json: drgn 0.0.22's str() and type_name() for
the type cases below, built with drgn's type constructors.

Run with Debian's python3-drgn interpreter (it writes the file next to itself):
    /usr/bin/python3 tests/data/types/gen_format_goldens.py

The case notation (read by format_type_test.ts too):
  {"void": true} | {"int": name, "size": n, "signed": b} | {"bool": name, "size": n}
  | {"float": name, "size": n} | {"pointer": T} | {"array": T, "length": n|null}
  | {"struct"|"union"|"class": tag|null, "size": n|null,
     "members": [{"type": T, "name": s|null, "bitOffset": n, "bitFieldSize": n}]|null}
  | {"enum": tag|null, "compatible": T|null, "enumerators": [[name, "value"]]|null}
  | {"typedef": name, "type": T}
  | {"function": T, "parameters": [{"type": T, "name": s|null}], "variadic": b}
  | {"ref": id}  (a type defined in the case's "defs"; member and parameter
                  types are built lazily, so references may form cycles)
Any node may carry "qualifiers": ["const", "volatile", "restrict", "_Atomic"].
"""

import json
import os

import drgn
from drgn import Qualifiers, TypeEnumerator, TypeMember, TypeParameter

Q = {"const": Qualifiers.CONST, "volatile": Qualifiers.VOLATILE,
     "restrict": Qualifiers.RESTRICT, "_Atomic": Qualifiers.ATOMIC}

INT = {"int": "int", "size": 4, "signed": True}
UINT = {"int": "unsigned int", "size": 4, "signed": False}
CHAR = {"int": "char", "size": 1, "signed": True}
UCHAR = {"int": "unsigned char", "size": 1, "signed": False}
SHORT = {"int": "short", "size": 2, "signed": True}
LONG = {"int": "long", "size": 8, "signed": True}
ULONG = {"int": "unsigned long", "size": 8, "signed": False}
ULL = {"int": "unsigned long long", "size": 8, "signed": False}
LL = {"int": "long long", "size": 8, "signed": True}
VOID = {"void": True}
BOOL = {"bool": "_Bool", "size": 1}
FLOAT = {"float": "float", "size": 4}
DOUBLE = {"float": "double", "size": 8}


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


POINT = struct("point", 8, [m(INT, "x", 0), m(INT, "y", 32)])
COLOR = {"enum": "color", "compatible": UINT,
         "enumerators": [["RED", "0"], ["GREEN", "5"], ["BLUE", "6"]]}
ANON = struct(None, 8, [m(INT, "a", 0), m(INT, "b", 32)])

CASES = [
    # Base types and qualifiers.
    ("int", INT),
    ("unsigned int", UINT),
    ("char", CHAR),
    ("_Bool", BOOL),
    ("double", DOUBLE),
    ("long double", {"float": "long double", "size": 16}),
    ("void", VOID),
    ("const void", q(VOID, "const")),
    ("const volatile unsigned int", q(UINT, "const", "volatile")),
    ("all qualifiers", q(INT, "_Atomic", "restrict", "volatile", "const")),
    ("_Atomic int", q(INT, "_Atomic")),
    # Pointers.
    ("int *", ptr(INT)),
    ("int **", ptr(ptr(INT))),
    ("int ***", ptr(ptr(ptr(INT)))),
    ("void *", ptr(VOID)),
    ("const char *", ptr(q(CHAR, "const"))),
    ("char * const", ptr(CHAR, "const")),
    ("const char * const", ptr(q(CHAR, "const"), "const")),
    ("int * restrict", ptr(INT, "restrict")),
    ("int * const volatile", ptr(INT, "volatile", "const")),
    ("pointer all qualifiers", ptr(INT, "const", "volatile", "restrict", "_Atomic")),
    ("const int * const * volatile", ptr(ptr(q(INT, "const"), "const"), "volatile")),
    ("struct point *", ptr(POINT)),
    ("const struct point *", ptr(q(POINT, "const"))),
    ("anonymous struct *", ptr(ANON)),
    ("enum color *", ptr(COLOR)),
    # Arrays.
    ("int [4]", arr(INT, 4)),
    ("int []", arr(INT, None)),
    ("int [0]", arr(INT, 0)),
    ("int [2][3]", arr(arr(INT, 3), 2)),
    ("int [3][]", arr(arr(INT, None), 3)),
    ("double [2][3][4]", arr(arr(arr(DOUBLE, 4), 3), 2)),
    ("char *[3]", arr(ptr(CHAR), 3)),
    ("const char *[4]", arr(ptr(q(CHAR, "const")), 4)),
    ("int * const [3]", arr(ptr(INT, "const"), 3)),
    ("int (*)[4]", ptr(arr(INT, 4))),
    ("char (*)[16]", ptr(arr(CHAR, 16))),
    ("int (*)[]", ptr(arr(INT, None))),
    ("int (**)[3]", ptr(ptr(arr(INT, 3)))),
    ("int (* const)[3]", ptr(arr(INT, 3), "const")),
    ("int *(*)[3][4]", ptr(arr(arr(ptr(INT), 4), 3))),
    ("int (*[2])[3]", arr(ptr(arr(INT, 3)), 2)),
    ("const array", q(arr(INT, 3), "const")),
    ("array of const int", arr(q(INT, "const"), 3)),
    ("struct point [3]", arr(POINT, 3)),
    ("array of incomplete struct", arr(struct("inc", None, None), 3)),
    ("anonymous struct [2]", arr(ANON, 2)),
    # Functions (type names).
    ("int (int, char *)", fn(INT, [(INT, None), (ptr(CHAR), None)])),
    ("int (char *s, ...)", fn(INT, [(ptr(CHAR), "s")], True)),
    ("void (void)", fn(VOID, [])),
    ("K&R void ()", fn(VOID, [], True)),
    ("int *(int)", fn(ptr(INT), [(INT, None)])),
    ("const char *(void)", fn(ptr(q(CHAR, "const")), [])),
    ("void (*)(void)", ptr(fn(VOID, []))),
    ("void (*)()", ptr(fn(VOID, [], True))),
    ("int (*)(int, int)", ptr(fn(INT, [(INT, None), (INT, None)]))),
    ("long (*)(const char *, ...)", ptr(fn(LONG, [(ptr(q(CHAR, "const")), None)], True))),
    ("int (* const)(int)", ptr(fn(INT, [(INT, "x")]), "const")),
    ("int (* const * volatile)(int)", ptr(ptr(fn(INT, [(INT, None)]), "const"), "volatile")),
    ("int (*[3])(int, int)", arr(ptr(fn(INT, [(INT, None), (INT, None)])), 3)),
    ("int (**)(void)", ptr(ptr(fn(INT, [])))),
    ("void (*)(int (*)(int), void *)",
     ptr(fn(VOID, [(ptr(fn(INT, [(INT, None)])), "cb"), (ptr(VOID), None)]))),
    ("int *(*)(int)", ptr(fn(ptr(INT), [(INT, None)]))),
    ("void (*)(int * restrict, const int * restrict)",
     ptr(fn(VOID, [(ptr(INT, "restrict"), "dst"), (ptr(q(INT, "const"), "restrict"), "src")]))),
    ("function taking struct and array", fn(VOID, [(POINT, "p"), (ptr(arr(INT, 4)), "rows")])),
    ("function taking anonymous struct", fn(VOID, [(ANON, "a")])),
    ("function taking function", fn(INT, [(fn(INT, [(INT, None)]), "f")])),
    # Structs, unions, classes.
    ("struct point", POINT),
    ("const struct point", q(POINT, "const")),
    ("volatile struct point", q(POINT, "volatile")),
    ("struct list_head", {"ref": "list_head"}),
    ("incomplete struct", struct("opaque", None, None)),
    ("const incomplete struct", q(struct("opaque", None, None), "const")),
    ("incomplete union", struct("u", None, None, "union")),
    ("anonymous incomplete union", struct(None, None, None, "union")),
    ("empty struct", struct("empty_s", 0, [])),
    ("anonymous struct", ANON),
    ("const anonymous struct", q(ANON, "const")),
    ("union value", struct("value", 8, [m(LONG, "l"), m(DOUBLE, "d"), m(ptr(VOID), "p")], "union")),
    ("class c", struct("c", 4, [m(INT, "a")], "class")),
    ("struct bits", struct("bits", 24, [
        m(UINT, "a", 0, 1), m(UINT, "b", 1, 3), m(INT, "c", 4, 4),
        m(ULL, "g", 32, 40), m(LL, "h", 72, 23), m(BOOL, "flag", 95, 1),
        m(COLOR, "col", 96, 3), m({"typedef": "uint8_t", "type": UCHAR}, "small", 104, 3),
        m(q(UINT, "const"), "cbits", 107, 5), m(UINT, None, 112, 4),
    ])),
    ("struct members", struct("members", 200, [
        m(ptr(q(CHAR, "const")), "name"),
        m(q(INT, "volatile"), "vol"),
        m(ptr(INT, "const"), "cp"),
        m(ptr(q(INT, "const"), "const", "volatile"), "cvp"),
        m(arr(CHAR, 16), "comm"),
        m(arr(arr(INT, 4), 3), "matrix"),
        m(arr(INT, None), "flex"),
        m(arr(CHAR, 0), "zla"),
        m(ptr(arr(INT, 4)), "rows"),
        m(arr(ptr(CHAR), 3), "argv"),
        m(ptr(fn(INT, [(ptr(q(CHAR, "const")), None), (INT, None)])), "open"),
        m(ptr(fn(LONG, [(INT, None), (ULONG, None)], True)), "ioctl"),
        m(arr(ptr(fn(VOID, [], True)), 2), "handlers"),
        m(fn(INT, [(INT, "a")]), "method"),
        m(ptr(ANON), "anon_ptr"),
        m(arr(ANON, 2), "anon_arr"),
        m({"typedef": "binop_t", "type": ptr(fn(INT, [(INT, None), (INT, None)]))}, "combine"),
        m(POINT, None),
        m(ptr(ptr(ptr(INT))), "ppp"),
        m(q(POINT, "const"), "cpoint"),
        m(COLOR, "color"),
        m(ptr({"ref": "list_head"}), "head"),
    ])),
    ("struct with anonymous members", struct("with_anon", 64, [
        m(INT, "kind", 0),
        m(struct(None, 4, [m(INT, "i"), m(FLOAT, "f"), m(arr(UCHAR, 4), "raw")], "union"), None, 32),
        m(struct(None, 4, [m(SHORT, "a"), m(SHORT, "b", 16)]), None, 64),
        m(struct(None, 8, [
            m(INT, "inner_x"),
            m(struct(None, 1, [m(CHAR, "deep")]), "inner2", 32),
            m(struct(None, 4, [
                m(struct(None, 4, [m(INT, "deepest")], "union"), None),
            ]), None, 64),
        ]), "named_inner", 96),
        m(q(struct(None, 4, [m(INT, "c")]), "const"), "const_anon", 224),
        m({"enum": None, "compatible": UINT, "enumerators": [["X", "1"], ["Y", "2"]]}, "anon_enum", 256),
    ])),
    ("self-referential struct", {"ref": "self_ref"}),
    # Enums.
    ("enum color", COLOR),
    ("enum signed", {"enum": "signed_enum", "compatible": INT,
                     "enumerators": [["NEG_MIN", "-2147483648"], ["NEG_ONE", "-1"], ["ZERO", "0"], ["POS", "100"]]}),
    ("enum big", {"enum": "big_enum", "compatible": ULONG,
                  "enumerators": [["BIG_A", "4294967296"], ["BIG_B", "18446744073709551615"]]}),
    ("enum neg big", {"enum": "neg_big_enum", "compatible": LONG,
                      "enumerators": [["NB_MIN", "-9223372036854775808"], ["NB_MAX", "9223372036854775807"]]}),
    ("anonymous enum", {"enum": None, "compatible": UINT, "enumerators": [["TE_A", "0"], ["TE_B", "10"]]}),
    ("incomplete enum", {"enum": "later", "compatible": None, "enumerators": None}),
    ("empty enum", {"enum": "e", "compatible": UINT, "enumerators": []}),
    ("const enum", q(COLOR, "const")),
    # Typedefs.
    ("typedef int myint", {"typedef": "myint", "type": INT}),
    ("typedef of typedef", {"typedef": "myint2", "type": {"typedef": "myint", "type": INT}}),
    ("typedef const myint2", {"typedef": "cmyint3", "type": q({"typedef": "myint2", "type": {"typedef": "myint", "type": INT}}, "const")}),
    ("volatile typedef", q({"typedef": "T", "type": q(INT, "const")}, "volatile")),
    ("typedef struct point point_t", {"typedef": "point_t", "type": POINT}),
    ("typedef point_t *", {"typedef": "point_ptr_t", "type": ptr({"typedef": "point_t", "type": POINT})}),
    ("typedef anonymous struct", {"typedef": "anon_struct_t", "type": ANON}),
    ("typedef anonymous union", {"typedef": "anon_union_t", "type": struct(None, 4, [m(INT, "i"), m(FLOAT, "f")], "union")}),
    ("typedef anonymous enum", {"typedef": "anon_enum_t", "type": {"enum": None, "compatible": UINT, "enumerators": [["TE_A", "0"], ["TE_B", "10"]]}}),
    ("typedef pointer to anonymous struct", {"typedef": "ap_t", "type": ptr(ANON)}),
    ("typedef array of anonymous struct", {"typedef": "aa_t", "type": arr(ANON, 2)}),
    ("typedef int arr10_t[10]", {"typedef": "arr10_t", "type": arr(INT, 10)}),
    ("typedef int arr10x3_t[3][10]", {"typedef": "arr10x3_t", "type": arr(arr(INT, 10), 3)}),
    ("typedef arr10_t arr[3]", {"typedef": "arr10x3_t", "type": arr({"typedef": "arr10_t", "type": arr(INT, 10)}, 3)}),
    ("typedef function pointer", {"typedef": "binop_t", "type": ptr(fn(INT, [(INT, None), (INT, None)]))}),
    ("typedef handler", {"typedef": "handler_t", "type": ptr(fn(VOID, [(INT, None), (ptr(VOID), None)]))}),
    ("typedef function", {"typedef": "fn_t", "type": fn(INT, [(ptr(CHAR), "s")], True)}),
    ("typedef void", {"typedef": "_IO_lock_t", "type": VOID}),
    ("typedef incomplete struct", {"typedef": "opaque_t", "type": struct("opaque", None, None)}),
    ("typedef array of incomplete struct", {"typedef": "inca_t", "type": arr(struct("inc", None, None), 3)}),
    ("typedef incomplete array", {"typedef": "flex_t", "type": arr(INT, None)}),
    ("typedef struct _IO_FILE FILE", {"typedef": "FILE", "type": struct("_IO_FILE", 216, [m(INT, "_flags")])}),
    ("typedef of pointer to typedef to incomplete", {"typedef": "op_t", "type": ptr({"typedef": "opaque_t", "type": struct("opaque", None, None)})}),
    # Functions (definitions; drgn raises ValueError).
    ("function str", fn(INT, [(ptr(CHAR), "s")], True)),
]

DEFS = {
    "list_head": struct("list_head", 16, [
        m(ptr({"ref": "list_head"}), "next", 0), m(ptr({"ref": "list_head"}), "prev", 64)]),
    "self_ref": struct("self_ref", 24, [
        m(INT, "id", 0), m(ptr({"ref": "self_ref"}), "next", 64), m(ptr({"ref": "self_ref"}), "self", 128)]),
}

# Cases drgn 0.0.22 formats wrongly (a function returning a function pointer:
# drgn prints the parameter lists in the wrong order, e.g.
# `void (*(*))(void)(int)`). The expected answers come from gdb instead: the
# C declaration is compiled with gcc and gdb prints `whatis VAR` (the type
# name) or `ptype struct S` (a definition; gdb's 4-space indentation becomes
# tabs).
GDB_CASES = [
    ("pointer to function returning function pointer",
     ptr(fn(ptr(fn(VOID, [])), [(INT, None)])), "void (*(*v1)(int))(void);", "whatis"),
    ("function returning function pointer",
     fn(ptr(fn(VOID, [(INT, None)])), [(INT, None)]), "void (*f2(int))(int) { return 0; }", "whatis"),
    ("array of pointers to functions returning pointer to array",
     arr(ptr(fn(ptr(arr(INT, 4)), [(CHAR, None)])), 3), "int (*(*v3[3])(char))[4];", "whatis"),
    ("function pointer returning function pointer returning function pointer",
     ptr(fn(ptr(fn(ptr(fn(LONG, [(CHAR, None)])), [(DOUBLE, None)])), [(INT, None)])),
     "long (*(*(*v4)(int))(double))(char);", "whatis"),
    ("struct with a member returning a function pointer",
     struct("getters", 16, [m(ptr(fn(ptr(fn(VOID, [])), [(INT, None)])), "getter", 0),
                            m(arr(ptr(fn(ptr(fn(INT, [(INT, None)])), [])), 1), "table", 64)]),
     "struct getters { void (*(*getter)(int))(void); int (*(*table[1])(void))(int); } v5;", "ptype struct getters"),
]

prog = drgn.Program(drgn.host_platform)
built_defs = {}


def quals(node):
    v = Qualifiers.NONE
    for name in node.get("qualifiers", []) if isinstance(node, dict) else []:
        v |= Q[name]
    return v


def member_object(mm):
    # drgn describes a bit field as an absent object with a bit_field_size.
    if mm["bitFieldSize"]:
        return drgn.Object(prog, build(mm["type"]), bit_field_size=mm["bitFieldSize"])
    return build(mm["type"])


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


def attempt(f):
    try:
        return {"value": f()}
    except Exception as e:  # record drgn's error as the golden answer
        return {"error": type(e).__name__, "message": str(e)}


out = []
for name, node in CASES:
    t = build(node)
    out.append({"name": name, "type": node, "type_name": attempt(t.type_name), "str": attempt(lambda: str(t))})
def gdb_answers():
    import subprocess
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "g.c")
        exe = os.path.join(tmp, "g")
        with open(src, "w") as f:
            for _, _, decl, _ in GDB_CASES:
                f.write(decl + "\n")
            f.write("int main(void) { return 0; }\n")
        subprocess.run(["gcc", "-g", "-O0", "-o", exe, src], check=True)
        answers = []
        for i, (_, _, _, cmd) in enumerate(GDB_CASES):
            what = cmd if cmd.startswith("ptype") else "whatis " + ("f2" if i == 1 else "v%d" % (i + 1))
            r = subprocess.run(["gdb", "-nx", "-batch", "-ex", what, exe], check=True,
                               capture_output=True, text=True)
            text = r.stdout.rstrip("\n")
            assert text.startswith("type = "), text
            text = text[len("type = "):].replace("\n    ", "\n\t")
            answers.append(text)
        return answers


gdb_cases = []
for (name, node, decl, cmd), answer in zip(GDB_CASES, gdb_answers()):
    t = build(node)
    gdb_cases.append({"name": name, "type": node, "c": decl, "gdb_command": cmd, "gdb": answer,
                      "drgn_type_name": attempt(t.type_name), "drgn_str": attempt(lambda: str(t))})
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "format_type_goldens.json")
with open(OUT, "w") as f:
    json.dump({"generator": "gen_format_goldens.py", "drgn_version": drgn.__version__, "defs": DEFS,
               "cases": out, "gdb_cases": gdb_cases}, f, indent=1)
    f.write("\n")
