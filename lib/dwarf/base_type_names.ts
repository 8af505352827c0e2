/**
 * C base type names: compilers spell them differently (gcc `long unsigned
 * int`, clang `unsigned long`), and drgn prints one canonical spelling for
 * each C primitive type when the DWARF name parses as that type's specifier
 * list and the signedness agrees. These functions do the same.
 *
 * @module
 */

/** A C primitive type's canonical spelling and its signedness (null: not an int). */
interface Primitive {
  readonly name: string;
  readonly kind: "int" | "bool" | "float";
  readonly isSigned: boolean | null;
  /** Other spellings a compiler may emit as DW_AT_name. */
  readonly spellings: readonly string[];
}

const PRIMITIVES: readonly Primitive[] = [
  { name: "char", kind: "int", isSigned: null, spellings: ["char"] },
  { name: "signed char", kind: "int", isSigned: true, spellings: ["signed char", "char signed"] },
  {
    name: "unsigned char",
    kind: "int",
    isSigned: false,
    spellings: ["unsigned char", "char unsigned"],
  },
  {
    name: "short",
    kind: "int",
    isSigned: true,
    spellings: ["short int", "short", "short signed int", "signed short"],
  },
  {
    name: "unsigned short",
    kind: "int",
    isSigned: false,
    spellings: ["short unsigned int", "unsigned short", "unsigned short int", "short unsigned"],
  },
  { name: "int", kind: "int", isSigned: true, spellings: ["int", "signed int", "signed"] },
  { name: "unsigned int", kind: "int", isSigned: false, spellings: ["unsigned int", "unsigned"] },
  {
    name: "long",
    kind: "int",
    isSigned: true,
    spellings: ["long int", "long", "long signed int", "signed long"],
  },
  {
    name: "unsigned long",
    kind: "int",
    isSigned: false,
    spellings: ["long unsigned int", "unsigned long", "unsigned long int", "long unsigned"],
  },
  {
    name: "long long",
    kind: "int",
    isSigned: true,
    spellings: ["long long int", "long long", "long long signed int", "signed long long"],
  },
  {
    name: "unsigned long long",
    kind: "int",
    isSigned: false,
    spellings: [
      "long long unsigned int",
      "unsigned long long",
      "unsigned long long int",
      "long long unsigned",
    ],
  },
  { name: "_Bool", kind: "bool", isSigned: null, spellings: ["_Bool"] },
  { name: "float", kind: "float", isSigned: null, spellings: ["float"] },
  { name: "double", kind: "float", isSigned: null, spellings: ["double"] },
  { name: "long double", kind: "float", isSigned: null, spellings: ["long double"] },
];

const BY_NAME = new Map(PRIMITIVES.map((p) => [p.name, p]));

/**
 * Parses a C specifier list (`long unsigned int`, `signed`, `short`) into
 * the canonical primitive it denotes, or null if it is not one (typedef
 * names, `__int128`, `wchar_t`, invalid combinations).
 */
export function parsePrimitive(name: string): Primitive | null {
  const words = name.trim().split(/\s+/);
  let signed = 0;
  let unsigned = 0;
  let char = 0;
  let short = 0;
  let int = 0;
  let long = 0;
  let bool = 0;
  let float = 0;
  let double = 0;
  for (const w of words) {
    switch (w) {
      case "signed":
        signed++;
        break;
      case "unsigned":
        unsigned++;
        break;
      case "char":
        char++;
        break;
      case "short":
        short++;
        break;
      case "int":
        int++;
        break;
      case "long":
        long++;
        break;
      case "_Bool":
        bool++;
        break;
      case "float":
        float++;
        break;
      case "double":
        double++;
        break;
      default:
        return null;
    }
  }
  if (signed + unsigned > 1 || char > 1 || short > 1 || int > 1 || long > 2) return null;
  if (bool + float + double + char > 1) return null;
  const sign = signed + unsigned;
  if (bool) return sign || short || int || long ? null : BY_NAME.get("_Bool")!;
  if (float) return sign || short || int || long ? null : BY_NAME.get("float")!;
  if (double) {
    if (sign || short || int || long > 1) return null;
    return BY_NAME.get(long ? "long double" : "double")!;
  }
  if (char) {
    if (short || int || long) return null;
    return BY_NAME.get(signed ? "signed char" : unsigned ? "unsigned char" : "char")!;
  }
  if (short && long) return null;
  const u = unsigned ? "unsigned " : "";
  if (short) return BY_NAME.get(`${u}short`)!;
  if (long === 2) return BY_NAME.get(`${u}long long`)!;
  if (long === 1) return BY_NAME.get(`${u}long`)!;
  if (int || sign) return BY_NAME.get(unsigned ? "unsigned int" : "int")!;
  return null;
}

/**
 * The name drgn gives a DWARF base type: the canonical spelling when `name`
 * parses as a C primitive of the same kind (and, for ints other than plain
 * `char`, the same signedness); otherwise `name` unchanged.
 */
export function canonicalBaseTypeName(
  name: string,
  kind: "int" | "bool" | "float",
  isSigned: boolean,
): string {
  const p = parsePrimitive(name);
  if (p === null || p.kind !== kind) return name;
  if (kind === "int" && p.isSigned !== null && p.isSigned !== isSigned) return name;
  return p.name;
}

/**
 * Names to look a base type up by in DWARF: `name` itself, and if it is a
 * C primitive, the spellings compilers use for it.
 */
export function baseTypeSpellings(name: string): string[] {
  const out = [name];
  const p = parsePrimitive(name);
  if (p !== null) {
    for (const s of [p.name, ...p.spellings]) if (!out.includes(s)) out.push(s);
  }
  return out;
}
