/**
 * The public API in one module (what `mod.ts` exports and the REPL puts in
 * scope), without the CLI.
 *
 * @module
 */

import "../targets.ts";

export { FindObjectFlags, Program } from "../program/program.ts";
export type {
  ObjectFinder,
  PointerTypeOptions,
  ProgramFlags,
  ScalarTypeOptions,
  SymbolFinder,
  TypeFinder,
  TypeFinderKind,
  TypeOptions,
} from "../program/program.ts";
export { Module } from "../program/module.ts";
export { Thread } from "../program/thread.ts";
export type { Registers } from "../program/thread.ts";
export { StackFrame, StackTrace } from "../program/stack_trace.ts";
export { Symbol, SymbolBinding, SymbolKind, SymbolTable } from "../program/symbol.ts";
export { makeObject, TypedObject } from "../object/typed_object.ts";
export type { FormatOptions, ObjectKind } from "../object/typed_object.ts";
export { cast, containerOf, NULL, offsetof, reinterpret, sizeof } from "../object/operators.ts";
export {
  makeType,
  Qualifiers,
  Type,
  TypeBase,
  TypeEnumerator,
  TypeMember,
  TypeParameter,
} from "../types/type.ts";
export { Language, PrimitiveType, TypeKind } from "../types/type.ts";
export type { Accessibility, PrimitiveTypeName } from "../types/type.ts";
export { Architecture, hostPlatform, Platform } from "../platform.ts";
export type { PlatformRegister } from "../platform.ts";
export { filenameMatches } from "../path.ts";
export {
  DecodeError,
  FaultError,
  LookupError,
  MissingDebugInfoError,
  ObjectAbsentError,
  OutOfBoundsError,
  TargetError,
  ValidationError,
} from "../errors.ts";
export { programFromCoreDump, programFromKernel, programFromPid } from "./factories.ts";
