/**
 * Error classes for failures on the target side: unreadable memory, missing
 * names, malformed binary data. Caller mistakes use the built-in `TypeError`
 * and `RangeError` instead.
 *
 * Messages follow `Cannot <action>: <state>` or drgn's wording where scripts
 * are likely to match on it; addresses print as `0x…`.
 *
 * @module
 */

/** Formats an address (or any non-negative integer) as `0x…` hex. */
export function hex(value: bigint | number): string {
  if (typeof value === "number") {
    return value < 0 ? "-0x" + (-value).toString(16) : "0x" + value.toString(16);
  }
  return value < 0n ? "-0x" + (-value).toString(16) : "0x" + value.toString(16);
}

/** Memory at `address` could not be read (unmapped, not saved, excluded, I/O error). */
export class FaultError extends Error {
  override readonly name = "FaultError";
  /** The first address that could not be read. */
  readonly address: bigint;
  /** Whether `address` is a physical address. */
  readonly physical: boolean;
  constructor(message: string, address: bigint, physical = false) {
    super(`${message}: ${hex(address)}`);
    this.address = address;
    this.physical = physical;
  }
}

/** A name (type, object, symbol, thread, module, member) was not found. */
export class LookupError extends Error {
  override readonly name: string = "LookupError";
  /** What was looked up (`"type"`, `"object"`, `"symbol"`, `"member"`, …). */
  readonly kind: string;
  /** The name or address that was looked up. */
  readonly key: string;
  constructor(message: string, kind = "", key = "") {
    super(message);
    this.kind = kind;
    this.key = key;
  }
}

/** An object is absent (optimized out): it has a type but no value. */
export class ObjectAbsentError extends Error {
  override readonly name = "ObjectAbsentError";
  constructor(message = "object absent") {
    super(message);
  }
}

/** An index or member access went outside an object's bounds. */
export class OutOfBoundsError extends Error {
  override readonly name = "OutOfBoundsError";
  constructor(message: string) {
    super(message);
  }
}

/** Debug info needed for an operation was not found or not loaded. */
export class MissingDebugInfoError extends Error {
  override readonly name = "MissingDebugInfoError";
  /** Files or modules whose debug info is missing. */
  readonly missing: readonly string[];
  constructor(message: string, missing: readonly string[] = []) {
    super(message);
    this.missing = missing;
  }
}

/** Malformed binary data: names what was being decoded and where. */
export class DecodeError extends Error {
  override readonly name = "DecodeError";
  /** The section, file or structure being decoded (`".debug_info"`, `"ELF header"`, a path). */
  readonly section: string;
  /** Byte offset in `section` where the bad value starts. */
  readonly offset: number;
  constructor(section: string, offset: number, message: string) {
    super(`Cannot decode ${section} at offset ${hex(offset)}: ${message}`);
    this.section = section;
    this.offset = offset;
  }
}

/** A data structure failed validation (`validate*` helpers). */
export class ValidationError extends Error {
  override readonly name = "ValidationError";
  constructor(message: string) {
    super(message);
  }
}

/** A target could not be opened or is of the wrong kind (names the file and the problem). */
export class TargetError extends Error {
  override readonly name = "TargetError";
  /** The file or target description. */
  readonly path: string;
  constructor(path: string, message: string) {
    super(`${path}: ${message}`);
    this.path = path;
  }
}

function guard<T extends Error>(name: string) {
  return (arg: unknown): arg is T =>
    arg instanceof Error && (arg as { name?: unknown }).name === name;
}

/** True for a {@link FaultError}, even one from another copy of this module. */
export const isFaultError: (arg: unknown) => arg is FaultError = guard("FaultError");
/** True for a {@link LookupError}. */
export const isLookupError: (arg: unknown) => arg is LookupError = guard("LookupError");
/** True for a {@link DecodeError}. */
export const isDecodeError: (arg: unknown) => arg is DecodeError = guard("DecodeError");
/** True for an {@link ObjectAbsentError}. */
export const isObjectAbsentError: (arg: unknown) => arg is ObjectAbsentError = guard(
  "ObjectAbsentError",
);
/** True for a {@link MissingDebugInfoError}. */
export const isMissingDebugInfoError: (arg: unknown) => arg is MissingDebugInfoError = guard(
  "MissingDebugInfoError",
);
/** True for a {@link ValidationError}. */
export const isValidationError: (arg: unknown) => arg is ValidationError = guard(
  "ValidationError",
);
