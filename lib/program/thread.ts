/**
 * Threads of a program: a TID, the registers saved when the target stopped
 * (NT_PRSTATUS, a task's saved context), and for the kernel the
 * `struct task_struct *` object.
 *
 * @module
 */

import type { TypedObject } from "../object/typed_object.ts";
import type { Program } from "./program.ts";
import type { StackTrace } from "./stack_trace.ts";

/** Register values by name (`rip`, `rsp`, …). */
export type Registers = Readonly<Record<string, bigint>>;

/** A thread of the program (drgn's `Thread`). */
export class Thread {
  /** The program. */
  readonly prog: Program;
  /** Thread ID (for the kernel: the task's PID). */
  readonly tid: number;
  /** Thread name (comm), if known. */
  readonly name: string | null;
  #registers: Registers | null | (() => Registers | null);
  #object: TypedObject | null | (() => TypedObject | null);
  /** Target-specific extras (signal info, CPU, PRSTATUS fields). */
  readonly info: Record<string, unknown>;

  constructor(
    prog: Program,
    tid: number,
    name: string | null,
    registers: Registers | null | (() => Registers | null),
    object: TypedObject | null | (() => TypedObject | null) = null,
    info: Record<string, unknown> = {},
  ) {
    this.prog = prog;
    this.tid = tid;
    this.name = name;
    this.#registers = registers;
    this.#object = object;
    this.info = info;
  }

  /** The registers the thread stopped with, or null (a sleeping kernel task: see the unwinder). */
  registers(): Registers | null {
    const r = this.#registers;
    if (typeof r === "function") {
      const v = r();
      this.#registers = v;
      return v;
    }
    return r;
  }

  /** The kernel task (`struct task_struct *`) of this thread; throws for userspace. */
  get object(): TypedObject {
    let o = this.#object;
    if (typeof o === "function") {
      o = o();
      this.#object = o;
    }
    if (o === null) {
      throw new TypeError("thread object is currently only defined for the Linux kernel");
    }
    return o;
  }

  /**
   * A global variable as this thread sees it: thread-local (`__thread`)
   * variables come from this thread's TLS block (drgn 0.0.22 cannot read
   * TLS at all).
   */
  variable(name: string): TypedObject {
    const f = this.prog.targetData.get("threadVariable") as
      | ((name: string, t: Thread) => TypedObject)
      | undefined;
    return f ? f(name, this) : this.prog.variable(name);
  }

  /** This thread's stack trace. */
  stackTrace(): StackTrace {
    return this.prog.stackTrace(this);
  }

  toString(): string {
    return `Thread(tid=${this.tid}${this.name ? `, name='${this.name}'` : ""})`;
  }
}
