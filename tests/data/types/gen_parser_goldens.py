#!/usr/bin/python3
"""Writes parser_goldens.json: how drgn 0.0.22 (and gdb 13, for what drgn
cannot parse) resolve C type names in the `types` fixture program.

Run with Debian's python3-drgn interpreter (it writes the file next to itself):
    /usr/bin/python3 tests/data/types/gen_parser_goldens.py

For every fixture variant the file holds:
  * "base": every DW_TAG_base_type of the binary (name, byte size,
    DW_ATE encoding), read with readelf: what a DWARF type index would
    offer under ("base", name);
  * "named": every struct/union/enum tag and typedef named in the reference
    JSON's `types`, as drgn builds it, in format_type_goldens' notation
    (tagged types go through "defs" so cycles are fine);
  * "answers": for each query, drgn's type_name() and str() of
    prog.type(query), or the error drgn raised; and, for queries drgn
    cannot parse (function types and function pointers), gdb's answer to
    `whatis QUERY`.
Besides: "defaults" (drgn's base types without debug info, on x86-64 and
i386), "filename_errors" (prog.type(name, "types.c")) and "base_names"
(the name drgn gives an int/bool/float type created under a spelling).
"""

import json
import os
import re
import subprocess

import drgn
from drgn import Qualifiers, TypeKind

FIXTURES = os.environ.get("WYVERN_USER_FIXTURES", "/work/shared/fixtures/user")
VARIANTS = {
    "gcc-O0": "out/bin/gcc-O0/types",
    "clang-O0": "out/bin/clang-O0/types",
    "gcc-dwarf4-O2": "out/bin/gcc-dwarf4-O2/types",
    "gcc-gz": "out/bin/gcc-gz/types",
    "gcc-split": "out/bin/gcc-split/types.debug",
}

QUERIES = [
    # Base types in many spellings.
    "void", "char", "signed char", "char signed", "unsigned char", "char unsigned",
    "short", "short int", "signed short", "short signed int", "unsigned short",
    "short unsigned", "unsigned short int", "int", "signed", "signed int", "int signed",
    "unsigned", "unsigned int", "int unsigned", "long", "long int", "signed long",
    "long signed int", "int long", "unsigned long", "long unsigned", "long unsigned int",
    "unsigned long int", "int long unsigned", "long long", "long long int",
    "signed long long", "long int long", "unsigned long long", "long long unsigned",
    "long long unsigned int", "unsigned long long int", "int unsigned long long", "_Bool",
    "float", "double", "long double", "double long",
    # Qualifiers.
    "const int", "int const", "const volatile int", "int const volatile",
    "volatile const int", "const int const", "_Atomic int", "restrict int",
    "const volatile restrict _Atomic int", "const unsigned long", "unsigned const long",
    # Pointers and arrays.
    "int *", "int*", "int **", "int ***", "void *", "const void *", "char *",
    "const char *", "char const *", "char * const", "char *const", "const char * const",
    "int * volatile const", "int * restrict", "int *restrict", "int * _Atomic",
    "int const *const*", "int [10]", "int[4]", "int [ 4 ]", "int []", "int [0]",
    "int [0x10]", "int [010]", "int [2][3]", "int [3][]", "int [1][2][3]", "int *[4]",
    "int * const [3]", "int *const[3]", "int (*)[4]", "int (* const)[3]",
    "int (*const)[3]", "int (**)[3]", "int *(*)[3][4]", "int (*[2])[3]", "char (*)[16]",
    "int (*)[]", "int (*)", "int (((*)))", "int ((*))[2]", "unsigned long [2]",
    "long unsigned int *",
    # Named types.
    "struct point", "struct point *", "struct point [3]", "const struct point",
    "struct point const", "struct point * const *", "union value", "union value *",
    "enum color", "enum color *", "const enum color", "struct self_ref",
    "struct self_ref *", "struct with_anon", "struct bits", "struct ops", "struct flex",
    "struct zla", "struct empty_s", "union u_mixed", "enum big_enum", "enum neg_big_enum",
    "myint", "myint *", "myint2", "cmyint3", "const myint", "point_t", "point_t *",
    "point_ptr_t", "point_ptr2_t", "size_t", "size_t *", "ptrdiff_t", "ptrdiff_t *",
    "wchar_t", "char16_t", "char32_t", "uint8_t [4]", "binop_t", "binop_t [2]",
    "handler_t", "anon_struct_t", "anon_union_t", "anon_enum_t", "arr10_t", "arr10x3_t",
    "arr10_t *", "opaque_t", "opaque_t *", "FILE", "FILE *", "struct _IO_FILE",
    "ulong2_t",
    # Lookups that fail.
    "struct no_such_struct", "struct no_such_struct *", "no_such_typedef", "foo",
    "foo *", "foo [3]", "foo bar", "struct nope bar", "const foo", "foo const", "foo )",
    "union point", "enum point", "struct myint", "class foo", "bool", "size_tx",
    "typeof(int)", "enum nope",
    # Syntax errors.
    "", "   ", "*", "const", "volatile", "int int", "char char", "void void",
    "long long long", "short long", "long short", "signed unsigned", "unsigned signed",
    "unsigned float", "float unsigned", "long float", "_Bool int", "unsigned _Bool",
    "short char", "long char", "double double", "struct", "struct 1", "struct *",
    "struct point int", "int struct point", "enum color unsigned", "point_t int",
    "myint unsigned", "unsigned myint", "int point_t", "myint myint", "myint bar",
    "struct point point", "struct point bar", "int foo", "int (*", "int )", "int (*))",
    "int [4", "int [x]", "int [-1]", "int [1.5]", "int [0b11]", "int [09]", "int [3] *",
    "int [2] x", "int *x", "int @", "int $", "int ['a']", "int \"x\"", "struct point;",
    "int, int", "int .", "int # x", "int \\", "int [99999999999999999999]",
    "int [18446744073709551616]",
    # Function types and function pointers (drgn 0.0.22 cannot parse these).
    "int (*)(int, int)", "void (*)(void)", "void (*)()", "int (*[3])(int, int)",
    "long (*)(const char *, ...)", "int (*)(const char *, ...)",
    "int (*)(int a, char *b)", "int (*)(int (*)(int))", "int (*)(int (*cb)(int), void *)",
    "void (*(*)(int))(void)", "void (*(*)(int))(int)", "int (*(*)[3])(int, char *)",
    "int (*(*[3])(char))[4]", "long (*(*(*)(int))(double))(char)",
    "int (* const)(int)", "int (* const * volatile)(int)", "int (**)(void)",
    "int *(*)(int)", "const char *(*)(void)", "struct point (*)(struct point *)",
    "void (*)(int * restrict, const int * restrict, size_t)",
    "void (*)(enum color, union value *, myint)", "binop_t (*)(binop_t)",
    "int ()", "int (void)", "int (int)", "int (int, ...)", "void (int sig, void *ctx)",
    "int (*)(int [])", "int (*)(int [4])", "int (*)(int *)", "int (*)(char (*)[16])",
    "int (*)(void (*)(int))",
    "int (*)(void (int))", "int (*)(point_t)",
    # Extended base types (drgn 0.0.22 cannot look these up).
    "__int128", "signed __int128", "__int128 signed", "unsigned __int128",
    "__int128 unsigned", "__int128 *", "unsigned __int128 [2]", "complex double",
    "complex float", "double complex", "double _Complex", "_Complex double",
    "float _Complex", "_Complex float", "complex double *",
    # Bad function syntax.
    "int (", "int (int", "int (int,", "int (int x y)", "int [3](", "int (*)(void, int)",
    "int (*)(int, void)", "int (*)(...)", "int (*)(int, ...,)", "int (*)(int ...)",
    "int ()[3]", "int ()()", "int [3](int)", "int (*)(int)(int)", "int (*[2])(int)[3]",
]


DEFAULT_QUERIES = [
    "void", "char", "signed char", "unsigned char", "short", "unsigned short", "int",
    "unsigned int", "long", "unsigned long", "long long", "unsigned long long", "_Bool",
    "float", "double", "long double", "size_t", "ptrdiff_t", "int *", "long [3]",
    "unsigned long *", "char (*)[16]", "const volatile long", "struct nope", "nope_t",
]

BASE_NAMES = [
    ("int", "long unsigned int", 8, False), ("int", "long unsigned int", 8, True),
    ("int", "int signed", 4, True), ("int", "char", 1, False), ("int", "char", 1, True),
    ("int", "unsigned", 4, False), ("int", "signed", 4, True), ("int", "short int", 2, True),
    ("int", "short unsigned int", 2, False), ("int", "__int128", 16, True),
    ("int", "__int128 unsigned", 16, False), ("int", "unsigned __int128", 16, False),
    ("int", "long long unsigned int", 8, False), ("int", "long long int", 8, True),
    ("int", "signed char", 1, True), ("int", "char signed", 1, True),
    ("int", "unsigned char", 1, False), ("int", "unsigned char", 1, True),
    ("int", "wat", 4, True), ("int", "int", 8, True), ("int", "long int long", 8, True),
    ("int", "long  int", 8, True), ("int", "__ARRAY_SIZE_TYPE__", 8, False),
    ("int", "char16_t", 2, False), ("int", "wchar_t", 4, True), ("int", "_Bool", 1, False),
    ("int", "long double", 16, True), ("int", "", 4, True), ("int", "int int", 4, True),
    ("bool", "_Bool", 1, False), ("bool", "bool", 1, False), ("bool", "int", 1, False),
    ("float", "double long", 16, False), ("float", "double", 4, False),
    ("float", "float", 4, False), ("float", "long double", 16, False),
    ("float", "int", 4, False), ("float", "complex double", 16, False),
    ("float", "_Float128", 16, False),
]


def readelf_base_types(path):
    out = subprocess.run(["readelf", "--debug-dump=info", path], check=True,
                         capture_output=True, text=True).stdout
    types = []
    current = None
    for line in out.splitlines():
        if re.search(r"\(DW_TAG_\w+\)", line) or re.match(r"\s*<\d+><[0-9a-f]+>: Abbrev Number: 0", line):
            if current is not None and "name" in current:
                types.append(current)
            current = {} if "(DW_TAG_base_type)" in line else None
            continue
        if current is None:
            continue
        m = re.search(r"DW_AT_(byte_size|encoding|name)\s*:\s*(.*)$", line)
        if not m:
            continue
        key, value = m.groups()
        if key == "byte_size":
            current["size"] = int(value.split()[0], 0)
        elif key == "encoding":
            current["encoding"] = int(value.split()[0], 0)
        else:
            current["name"] = value.split("): ", 1)[1] if "): " in value else value.strip()
    if current is not None and "name" in current:
        types.append(current)
    unique = {}
    for t in types:
        unique.setdefault(t["name"], t)
    return sorted(unique.values(), key=lambda t: t["name"])


QUALIFIER_NAMES = [(Qualifiers.CONST, "const"), (Qualifiers.VOLATILE, "volatile"),
                   (Qualifiers.RESTRICT, "restrict"), (Qualifiers.ATOMIC, "_Atomic")]


class Converter:
    """drgn Type -> format_type_goldens notation."""

    def __init__(self):
        self.defs = {}

    def node(self, t):
        quals = [name for bit, name in QUALIFIER_NAMES if t.qualifiers & bit]
        n = self.unqualified(t)
        if quals:
            n = dict(n, qualifiers=quals)
        return n

    def unqualified(self, t):
        k = t.kind
        if k == TypeKind.VOID:
            return {"void": True}
        if k == TypeKind.INT:
            return {"int": t.name, "size": t.size, "signed": t.is_signed}
        if k == TypeKind.BOOL:
            return {"bool": t.name, "size": t.size}
        if k == TypeKind.FLOAT:
            return {"float": t.name, "size": t.size}
        if k == TypeKind.POINTER:
            return {"pointer": self.node(t.type)}
        if k == TypeKind.ARRAY:
            return {"array": self.node(t.type), "length": t.length}
        if k == TypeKind.TYPEDEF:
            return {"typedef": t.name, "type": self.node(t.type)}
        if k == TypeKind.FUNCTION:
            return {"function": self.node(t.type),
                    "parameters": [{"type": self.node(p.type), "name": p.name} for p in t.parameters],
                    "variadic": t.is_variadic}
        kind = {TypeKind.STRUCT: "struct", TypeKind.UNION: "union", TypeKind.CLASS: "class",
                TypeKind.ENUM: "enum"}[k]
        if t.tag is not None:
            key = "%s %s" % (kind, t.tag)
            if key not in self.defs:
                self.defs[key] = None  # placeholder: stops recursion
                self.defs[key] = self.body(kind, t.unqualified())
            return {"ref": key}
        return self.body(kind, t.unqualified())

    def body(self, kind, t):
        if kind == "enum":
            return {"enum": t.tag,
                    "compatible": None if t.type is None else self.node(t.type),
                    "enumerators": None if t.enumerators is None else
                    [[e.name, str(e.value)] for e in t.enumerators]}
        return {kind: t.tag, "size": t.size if t.is_complete() else None,
                "members": None if t.members is None else
                [{"type": self.node(m.type), "name": m.name, "bitOffset": m.bit_offset,
                  "bitFieldSize": m.bit_field_size or 0} for m in t.members]}


def attempt(f):
    try:
        return {"value": f()}
    except Exception as e:
        return {"error": type(e).__name__, "message": str(e)}


def gdb_whatis(binary, queries):
    """gdb's `whatis QUERY` for each query: gdb's answer, or its error message."""
    out = {}
    for q in queries:
        r = subprocess.run(["gdb", "-nx", "-batch", "-ex", "whatis " + q, binary],
                           capture_output=True, text=True)
        text = (r.stdout + r.stderr).strip()
        if text.startswith("type = "):
            out[q] = {"value": text[len("type = "):]}
        else:
            out[q] = {"error": text}
    return out


def main():
    result = {"generator": "gen_parser_goldens.py", "drgn_version": drgn.__version__,
              "gdb_version": subprocess.run(["gdb", "--version"], capture_output=True,
                                            text=True).stdout.splitlines()[0],
              "queries": QUERIES, "variants": {}}
    for variant, rel in VARIANTS.items():
        path = os.path.join(FIXTURES, rel)
        prog = drgn.Program()
        prog.load_debug_info([path])
        with open(os.path.join(FIXTURES, "reference", variant, "types.gcore.json")) as f:
            reference = json.load(f)
        conv = Converter()
        named = {}
        for name, entry in reference["types"].items():
            if "error" in entry or entry.get("kind") not in ("STRUCT", "UNION", "ENUM", "CLASS", "TYPEDEF"):
                continue
            named[name] = conv.node(prog.type(name))
        answers = {}
        for q in QUERIES:
            def both(q=q):
                t = prog.type(q)
                return {"type_name": t.type_name(), "str": attempt(lambda: str(t))}
            answers[q] = attempt(both)
        gdb_queries = [q for q in QUERIES
                       if answers[q].get("message") == "function pointer types are not implemented"]
        result["variants"][variant] = {
            "binary": rel,
            "base": readelf_base_types(path),
            "named": named,
            "defs": conv.defs,
            "answers": answers,
            "gdb": gdb_whatis(path, gdb_queries),
            # Objects whose type drgn 0.0.22 names wrongly (functions returning
            # function pointers): gdb's `whatis NAME`.
            "gdb_objects": gdb_whatis(path, ["g_fp_returning_fp", "fn_returns_fp"]),
        }
    # Base types without debug info: drgn's defaults for a 64-bit and a 32-bit platform.
    result["defaults"] = {}
    platforms = {
        "x86-64": drgn.Platform(drgn.Architecture.X86_64,
                                drgn.PlatformFlags.IS_64_BIT | drgn.PlatformFlags.IS_LITTLE_ENDIAN),
        "i386": drgn.Platform(drgn.Architecture.I386, drgn.PlatformFlags.IS_LITTLE_ENDIAN),
    }
    for pname, platform in platforms.items():
        prog = drgn.Program(platform)
        answers = {}
        for q in DEFAULT_QUERIES:
            def describe(q=q):
                t = prog.type(q)
                return {"type_name": t.type_name(), "str": str(t), "kind": t.kind.name.lower(),
                        "sizeof": drgn.sizeof(t) if t.is_complete() else None,
                        "is_signed": t.is_signed if t.kind == TypeKind.INT else None}
            answers[q] = attempt(describe)
        result["defaults"][pname] = answers
    # The lookup-failure message with a file name.
    prog = drgn.Program()
    prog.load_debug_info([os.path.join(FIXTURES, VARIANTS["gcc-O0"])])
    result["filename_errors"] = {
        q: attempt(lambda q=q: prog.type(q, "types.c").type_name())
        for q in ["struct nope", "no_such_typedef *", "struct point"]
    }
    # drgn's names for int/bool/float types created under other spellings.
    prog = drgn.Program(drgn.host_platform)
    names = []
    for kind, name, size, signed in BASE_NAMES:
        if kind == "int":
            t = prog.int_type(name, size, signed)
        elif kind == "bool":
            t = prog.bool_type(name, size)
        else:
            t = prog.float_type(name, size)
        names.append({"kind": kind, "name": name, "signed": signed, "drgn_name": t.name})
    result["base_names"] = names
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "parser_goldens.json")
    with open(out, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")


main()
