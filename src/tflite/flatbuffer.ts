/**
 * Bounds-checked access to a FlatBuffer's tables on top of the `flatbuffers` runtime's ByteBuffer (which reads past
 * the end silently). Every offset is checked before it is followed, so a truncated or corrupted file ends in one
 * MalformedError naming what was being read, never in garbage or a stack trace.
 */
import { ByteBuffer } from 'flatbuffers';

export class MalformedError extends Error {}

export class Buf {
  readonly bb: ByteBuffer;
  readonly size: number;
  constructor(readonly bytes: Uint8Array) {
    this.bb = new ByteBuffer(bytes);
    this.size = bytes.length;
  }

  check(pos: number, bytes: number, what: string): void {
    if (!Number.isInteger(pos) || pos < 0 || pos + bytes > this.size)
      throw new MalformedError(`${what} lies outside the file (offset ${pos}, ${bytes} bytes, file ${this.size} bytes)`);
  }

  /** The root table: a uoffset at 0 (and, for .tflite, the identifier at 4). */
  root(what: string): Table {
    this.check(0, 8, `the root of ${what}`);
    return this.tableAt(this.bb.readUint32(0), what);
  }

  identifier(): string {
    this.check(4, 4, 'the file identifier');
    return String.fromCharCode(...this.bytes.subarray(4, 8));
  }

  tableAt(pos: number, what: string): Table {
    this.check(pos, 4, what);
    const vtable = pos - this.bb.readInt32(pos);
    this.check(vtable, 4, `the vtable of ${what}`);
    const vtableSize = this.bb.readUint16(vtable);
    if (vtableSize < 4 || vtableSize % 2 !== 0) throw new MalformedError(`the vtable of ${what} has an invalid size ${vtableSize}`);
    this.check(vtable, vtableSize, `the vtable of ${what}`);
    return new Table(this, pos, vtable, vtableSize, what);
  }
}

/** One table: fields by slot number (the field's position in the schema, unions counting two). */
export class Table {
  constructor(readonly buf: Buf, readonly pos: number, private readonly vtable: number, private readonly vtableSize: number,
    readonly what: string) {}

  /** Absolute position of a field's value, or 0 when the field is absent (default). */
  private field(slot: number, bytes: number): number {
    const vo = 4 + 2 * slot;
    if (vo + 2 > this.vtableSize) return 0;
    const rel = this.buf.bb.readUint16(this.vtable + vo);
    if (rel === 0) return 0;
    this.buf.check(this.pos + rel, bytes, `field ${slot} of ${this.what}`);
    return this.pos + rel;
  }

  has(slot: number): boolean {
    return this.field(slot, 0) !== 0;
  }

  int8(slot: number, def = 0): number {
    const p = this.field(slot, 1);
    return p ? this.buf.bb.readInt8(p) : def;
  }

  uint8(slot: number, def = 0): number {
    const p = this.field(slot, 1);
    return p ? this.buf.bb.readUint8(p) : def;
  }

  bool(slot: number, def = false): boolean {
    const p = this.field(slot, 1);
    return p ? this.buf.bb.readUint8(p) !== 0 : def;
  }

  int32(slot: number, def = 0): number {
    const p = this.field(slot, 4);
    return p ? this.buf.bb.readInt32(p) : def;
  }

  uint32(slot: number, def = 0): number {
    const p = this.field(slot, 4);
    return p ? this.buf.bb.readUint32(p) : def;
  }

  float32(slot: number, def = 0): number {
    const p = this.field(slot, 4);
    return p ? this.buf.bb.readFloat32(p) : def;
  }

  uint64(slot: number, def = 0): number {
    const p = this.field(slot, 8);
    if (!p) return def;
    const v = this.buf.bb.readUint64(p);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new MalformedError(`field ${slot} of ${this.what} is too large (${v})`);
    return Number(v);
  }

  /** The position of the target of the uoffset stored in a field, or 0. */
  private indirect(slot: number, what: string): number {
    const p = this.field(slot, 4);
    if (!p) return 0;
    const target = p + this.buf.bb.readUint32(p);
    this.buf.check(target, 4, what);
    return target;
  }

  table(slot: number, what: string): Table | null {
    const p = this.indirect(slot, what);
    return p ? this.buf.tableAt(p, what) : null;
  }

  /** A vector's element start and length, checked against the file for `elemBytes` per element. */
  private vector(slot: number, elemBytes: number, what: string): { start: number; length: number } | null {
    const p = this.indirect(slot, what);
    if (!p) return null;
    const length = this.buf.bb.readUint32(p);
    this.buf.check(p + 4, length * elemBytes, what);
    return { start: p + 4, length };
  }

  string(slot: number, what: string): string | null {
    const v = this.vector(slot, 1, what);
    if (!v) return null;
    return new TextDecoder('utf-8', { fatal: false }).decode(this.buf.bytes.subarray(v.start, v.start + v.length));
  }

  bytes(slot: number, what: string): Uint8Array | null {
    const v = this.vector(slot, 1, what);
    return v ? this.buf.bytes.subarray(v.start, v.start + v.length) : null;
  }

  int32s(slot: number, what: string): number[] | null {
    const v = this.vector(slot, 4, what);
    if (!v) return null;
    return Array.from({ length: v.length }, (_, i) => this.buf.bb.readInt32(v.start + 4 * i));
  }

  float32s(slot: number, what: string): number[] | null {
    const v = this.vector(slot, 4, what);
    if (!v) return null;
    return Array.from({ length: v.length }, (_, i) => this.buf.bb.readFloat32(v.start + 4 * i));
  }

  /** int64 elements as numbers; values beyond 2^53 are refused (zero points are small). */
  int64s(slot: number, what: string): number[] | null {
    const v = this.vector(slot, 8, what);
    if (!v) return null;
    return Array.from({ length: v.length }, (_, i) => {
      const x = this.buf.bb.readInt64(v.start + 8 * i);
      if (x > BigInt(Number.MAX_SAFE_INTEGER) || x < -BigInt(Number.MAX_SAFE_INTEGER))
        throw new MalformedError(`element ${i} of ${what} is too large (${x})`);
      return Number(x);
    });
  }

  tables(slot: number, what: string): Table[] {
    const v = this.vector(slot, 4, what);
    if (!v) return [];
    return Array.from({ length: v.length }, (_, i) => {
      const p = v.start + 4 * i;
      const target = p + this.buf.bb.readUint32(p);
      return this.buf.tableAt(target, `${what}[${i}]`);
    });
  }
}
