/**
 * A .tflite file -> plain objects (subgraph 0's tensors and operators, the opcodes, the buffers), through the checked
 * accessors in flatbuffer.ts. Field slots follow schema.fbs (a union takes two slots: its type, then its value).
 */
import { InputError } from '../errors.ts';
import { Buf, MalformedError, type Table } from './flatbuffer.ts';
import { builtinName, tensorTypeName } from './schema.ts';

export interface TfliteQuant {
  scale: number[];
  zeroPoint: number[];
  quantizedDimension: number;
}

export interface TfliteTensor {
  index: number;
  name: string;
  shape: number[];
  type: number;
  typeName: string;
  buffer: number;
  quant: TfliteQuant | null;
  isVariable: boolean;
  sparse: boolean;
}

export interface TfliteOperator {
  index: number;
  builtin: number;
  /** BuiltinOperator name, or CUSTOM(<code>) for a custom op. */
  opName: string;
  version: number;
  inputs: number[];
  outputs: number[];
  optionsType: number;
  options: Table | null;
  intermediates: number[];
}

export interface TfliteModel {
  file: string;
  version: number;
  description: string;
  subgraphCount: number;
  tensors: TfliteTensor[];
  operators: TfliteOperator[];
  inputs: number[];
  outputs: number[];
  /** Buffer contents by buffer index (empty for none). */
  buffers: Uint8Array[];
}

/** Parse a .tflite image. A malformed file is one InputError naming the file and what could not be read. */
export function parseTflite(bytes: Uint8Array, file: string): TfliteModel {
  try {
    return parse(new Buf(bytes), file);
  } catch (e) {
    if (e instanceof MalformedError) throw new InputError(file, `not a valid .tflite model: ${e.message}`);
    throw e;
  }
}

function parse(buf: Buf, file: string): TfliteModel {
  if (buf.size < 8) throw new MalformedError(`the file is ${buf.size} bytes long, too short for a FlatBuffer`);
  const ident = buf.identifier();
  if (ident !== 'TFL3') throw new MalformedError(`the file identifier is ${JSON.stringify(ident)}, expected "TFL3"`);
  const model = buf.root('the Model table');
  const version = model.uint32(0);
  const opcodes = model.tables(1, 'Model.operator_codes').map((t, i) => {
    // GetBuiltinCode: the larger of deprecated_builtin_code (int8, codes < 127) and builtin_code (int32).
    const code = Math.max(t.int8(0), t.int32(3));
    const custom = t.string(1, `operator_codes[${i}].custom_code`);
    return { code, custom, version: t.int32(2, 1) };
  });
  const subgraphs = model.tables(2, 'Model.subgraphs');
  if (subgraphs.length === 0) throw new MalformedError('the model has no subgraph');
  const description = model.string(3, 'Model.description') ?? '';
  const bufferTables = model.tables(4, 'Model.buffers');
  const buffers = bufferTables.map((b, i) => {
    const data = b.bytes(0, `buffers[${i}].data`);
    if (data && data.length > 0) return data;
    // Models over 2 GB keep data outside the FlatBuffer: offset and size into the file (offset > 1 means present).
    const offset = b.uint64(1);
    const size = b.uint64(2);
    if (offset > 1) {
      buf.check(offset, size, `buffers[${i}] (offset ${offset}, size ${size})`);
      return buf.bytes.subarray(offset, offset + size);
    }
    return new Uint8Array(0);
  });

  const g = subgraphs[0];
  const tensors = g.tables(0, 'subgraphs[0].tensors').map((t, index): TfliteTensor => {
    const what = `tensor ${index}`;
    const q = t.table(4, `${what}.quantization`);
    const scale = q?.float32s(2, `${what}.quantization.scale`) ?? [];
    const zeroPoint = q?.int64s(3, `${what}.quantization.zero_point`) ?? [];
    const type = t.int8(1);
    return {
      index,
      name: t.string(3, `${what}.name`) ?? `tensor_${index}`,
      shape: t.int32s(0, `${what}.shape`) ?? [],
      type,
      typeName: tensorTypeName(type),
      buffer: t.uint32(2),
      quant: scale.length > 0 ? { scale, zeroPoint, quantizedDimension: q!.int32(6) } : null,
      isVariable: t.bool(5),
      sparse: t.has(6),
    };
  });
  const tensorIndex = (v: number, what: string): number => {
    if (v !== -1 && (v < 0 || v >= tensors.length)) throw new MalformedError(`${what} refers to tensor ${v}, but the subgraph has ${tensors.length}`);
    return v;
  };
  const operators = g.tables(3, 'subgraphs[0].operators').map((o, index): TfliteOperator => {
    const what = `operator ${index}`;
    const opcodeIndex = o.uint32(0);
    const opcode = opcodes[opcodeIndex];
    if (!opcode) throw new MalformedError(`${what} uses opcode ${opcodeIndex}, but the model has ${opcodes.length}`);
    const optionsType = o.uint8(3);
    const name = builtinName(opcode.code);
    return {
      index,
      builtin: opcode.code,
      opName: name === 'CUSTOM' ? `CUSTOM(${opcode.custom ?? '?'})` : name,
      version: opcode.version,
      inputs: (o.int32s(1, `${what}.inputs`) ?? []).map((v) => tensorIndex(v, `${what}.inputs`)),
      outputs: (o.int32s(2, `${what}.outputs`) ?? []).map((v) => tensorIndex(v, `${what}.outputs`)),
      optionsType,
      options: optionsType !== 0 ? o.table(4, `${what}.builtin_options`) : null,
      intermediates: o.int32s(8, `${what}.intermediates`) ?? [],
    };
  });
  for (const t of tensors)
    if (t.buffer >= buffers.length && t.buffer !== 0)
      throw new MalformedError(`tensor ${t.index} uses buffer ${t.buffer}, but the model has ${buffers.length}`);
  return {
    file,
    version,
    description,
    subgraphCount: subgraphs.length,
    tensors,
    operators,
    inputs: (g.int32s(1, 'subgraphs[0].inputs') ?? []).map((v) => tensorIndex(v, 'subgraphs[0].inputs')),
    outputs: (g.int32s(2, 'subgraphs[0].outputs') ?? []).map((v) => tensorIndex(v, 'subgraphs[0].outputs')),
    buffers,
  };
}

/** A tensor's constant data (its buffer), or null when it has none (an activation). */
export function constantData(m: TfliteModel, t: TfliteTensor): Uint8Array | null {
  const b = m.buffers[t.buffer];
  return t.buffer !== 0 && b && b.length > 0 ? b : null;
}
