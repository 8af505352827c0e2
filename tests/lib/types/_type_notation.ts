/**
 * Builds {@link Type} graphs from the JSON type notation of
^ * `tests/data/types/gen_format_goldens.py` (the same notation the generator feeds to drgn's
 * type constructors), so a test formats exactly the types drgn formatted.
 */

import {
  type CompoundKind,
  type Lazy,
  makeType,
  Qualifiers,
  type Type,
  TypeEnumerator,
  TypeMember,
  TypeParameter,
} from "../../../lib/types/type.ts";

/** A type in the notation (see tests/data/types/gen_format_goldens.py). */
export type TypeNode = Record<string, unknown>;

interface MemberNode {
  type: TypeNode;
  name: string | null;
  bitOffset: number;
  bitFieldSize: number;
}

interface ParameterNode {
  type: TypeNode;
  name: string | null;
}

const QUALIFIER_BITS: Record<string, number> = {
  const: Qualifiers.CONST,
  volatile: Qualifiers.VOLATILE,
  restrict: Qualifiers.RESTRICT,
  _Atomic: Qualifiers.ATOMIC,
};

/** Builds types from nodes; `{"ref": id}` nodes resolve through `defs`, each built once. */
export class TypeNotation {
  readonly #defs: Record<string, TypeNode>;
  readonly #built = new Map<string, Type>();

  constructor(defs: Record<string, TypeNode> = {}) {
    this.#defs = defs;
  }

  build(node: TypeNode): Type {
    if ("ref" in node) {
      const id = node.ref as string;
      let t = this.#built.get(id);
      if (t === undefined) {
        const def = this.#defs[id];
        if (def === undefined) throw new Error(`no definition ${id}`);
        t = this.build(def);
        this.#built.set(id, t);
      }
      return t;
    }
    let q = 0;
    for (const name of (node.qualifiers as string[] | undefined) ?? []) q |= QUALIFIER_BITS[name]!;
    return this.#unqualified(node).qualified(q);
  }

  #lazy(node: TypeNode): Lazy<Type> {
    return () => this.build(node);
  }

  #unqualified(node: TypeNode): Type {
    if ("void" in node) return makeType.void();
    if ("int" in node) {
      return makeType.int(node.int as string, node.size as number, node.signed as boolean);
    }
    if ("bool" in node) return makeType.bool(node.bool as string, node.size as number);
    if ("float" in node) return makeType.float(node.float as string, node.size as number);
    if ("pointer" in node) return makeType.pointer(this.build(node.pointer as TypeNode));
    if ("array" in node) {
      return makeType.array(this.build(node.array as TypeNode), node.length as number | null);
    }
    if ("typedef" in node) {
      return makeType.typedef(node.typedef as string, this.build(node.type as TypeNode));
    }
    if ("function" in node) {
      const params = (node.parameters as ParameterNode[]).map((p) =>
        new TypeParameter(this.#lazy(p.type), p.name)
      );
      return makeType.function(
        this.build(node.function as TypeNode),
        params,
        node.variadic as boolean,
      );
    }
    if ("enum" in node) {
      const compatible = node.compatible === null ? null : this.build(node.compatible as TypeNode);
      const enumerators = node.enumerators === null
        ? null
        : (node.enumerators as [string, string][]).map(([n, v]) =>
          new TypeEnumerator(n, BigInt(v))
        );
      return makeType.enum(node.enum as string | null, compatible, enumerators);
    }
    for (const kind of ["struct", "union", "class"] as CompoundKind[]) {
      if (kind in node) {
        const members = node.members === null
          ? null
          : (node.members as MemberNode[]).map((m) =>
            new TypeMember(this.#lazy(m.type), m.name, m.bitOffset, m.bitFieldSize || null)
          );
        return makeType.struct(
          node[kind] as string | null,
          node.size as number | null,
          members,
          kind,
        );
      }
    }
    throw new Error(`unknown type node ${JSON.stringify(node)}`);
  }
}
