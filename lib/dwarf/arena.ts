/**
 * A bump allocator for many small typed arrays (abbreviation tables and
 * their compiled plans: tens of thousands of arrays on a kernel). Views are
 * carved out of large zeroed chunks, so the cost is one allocation per
 * chunk instead of one per array. Memory is freed when every view of a
 * chunk is garbage.
 *
 * @module
 */

/** Hands out zeroed typed arrays from shared chunks. */
export class Arena {
  readonly #chunkSize: number;
  #buf: ArrayBuffer;
  #off = 0;

  constructor(chunkSize = 1 << 20) {
    this.#chunkSize = chunkSize;
    this.#buf = new ArrayBuffer(chunkSize);
  }

  #take(bytes: number, align: number): [ArrayBuffer, number] {
    if (bytes > this.#chunkSize >>> 2) return [new ArrayBuffer(bytes), 0];
    let off = (this.#off + align - 1) & ~(align - 1);
    if (off + bytes > this.#chunkSize) {
      this.#buf = new ArrayBuffer(this.#chunkSize);
      off = 0;
    }
    this.#off = off + bytes;
    return [this.#buf, off];
  }

  u8(n: number): Uint8Array {
    const [b, o] = this.#take(n, 1);
    return new Uint8Array(b, o, n);
  }
  u16(n: number): Uint16Array {
    const [b, o] = this.#take(n * 2, 2);
    return new Uint16Array(b, o, n);
  }
  u32(n: number): Uint32Array {
    const [b, o] = this.#take(n * 4, 4);
    return new Uint32Array(b, o, n);
  }
  i32(n: number): Int32Array {
    const [b, o] = this.#take(n * 4, 4);
    return new Int32Array(b, o, n);
  }
  f64(n: number): Float64Array {
    const [b, o] = this.#take(n * 8, 8);
    return new Float64Array(b, o, n);
  }
}
