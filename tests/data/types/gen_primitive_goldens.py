# drgn 0.0.22's Type.primitive and Type.byteorder for type names in the
# user fixtures' debug info (gcc and clang builds of `types`) and the
# kernel fixture's vmlinux, and the members of drgn's enums (TypeKind,
# PrimitiveType, SymbolBinding, SymbolKind, Architecture, Language), for
# tests/lib/types/type_primitive_test.ts.
#
#   /usr/bin/python3 tests/data/types/gen_primitive_goldens.py > tests/data/types/primitive_goldens.json
import json, os, sys
import drgn
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from drgn_fixtures import kernel_program  # noqa: E402

FIX = os.environ.get("WYVERN_FIXTURES", "/work/shared/fixtures")
CACHE = os.environ.get("WYVERN_CACHE", "/var/cache/wyvern-fixtures")

C_NAMES = [
    "void", "char", "signed char", "unsigned char", "short", "unsigned short", "int",
    "unsigned int", "long", "unsigned long", "long long", "unsigned long long",
    "long unsigned int", "short int", "signed", "unsigned", "_Bool", "float", "double",
    "long double", "void *", "int *", "const int", "volatile unsigned long",
]
USER_NAMES = C_NAMES + [
    "size_t", "ptrdiff_t", "uint32_t", "int64_t", "uint8_t", "struct point", "union number",
    "enum color", "struct node *", "int [3]",
]
KERNEL_NAMES = C_NAMES + [
    "size_t", "ssize_t", "ptrdiff_t", "u32", "u8", "bool", "pid_t", "atomic_t",
    "struct task_struct", "struct list_head *", "enum pid_type", "unsigned long [4]",
]


def describe(prog, name):
    try:
        t = prog.type(name)
    except LookupError:
        return None
    out = {"kind": t.kind.name.lower()}
    out["primitive"] = None if t.primitive is None else t.primitive.name
    try:
        out["byteorder"] = t.byteorder
    except AttributeError:
        out["byteorder"] = None
    return out


def user(variant):
    prog = drgn.Program(drgn.Platform(drgn.Architecture.X86_64))
    prog.load_debug_info([f"{FIX}/user/out/bin/{variant}/types"])
    return {n: describe(prog, n) for n in USER_NAMES}


def kernel():
    prog = kernel_program(FIX, CACHE, modules=())
    return {n: describe(prog, n) for n in KERNEL_NAMES}


enums = {e.__name__: [m.name for m in e] for e in
         [drgn.TypeKind, drgn.PrimitiveType, drgn.SymbolBinding, drgn.SymbolKind, drgn.Architecture]}
enums["Language"] = {"C": drgn.Language.C.name, "CPP": drgn.Language.CPP.name}
print(json.dumps({"gcc-O0": user("gcc-O0"), "clang-O0": user("clang-O0"), "kernel": kernel(),
                  "enums": enums}, indent=1, sort_keys=True))
