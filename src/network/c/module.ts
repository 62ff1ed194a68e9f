/**
 * The network as one C module: `<net>.h` / `<net>.c` with `int <net>_run(const int8_t *input, int8_t *output,
 * void *arena)`. Each layer is its op's lowering (src/ops/<op>/lower.ts), specialised with its constants folded;
 * the run function calls them in order on the tensors' places in the memory plan (src/network/plan.ts): the
 * caller's input and output, or the arena at the planned offset. Aliased layers (RESHAPE, an identity QUANTIZE)
 * run no code. Parameters and quantization constants are static const; nothing else is in RAM but the arena, the
 * stack, and the static scratch a kernel family states (none for the families the MLPerf models use).
 *
 * Around each layer the run function calls CONVGEN_LAYER_BEGIN / CONVGEN_LAYER_END (CONVGEN_LAYER_VIEW for a layer
 * without code), empty unless defined when compiling: the test harness dumps each layer's output through them and
 * the bench counts each layer's instructions.
 */
import path from 'node:path';
import { InputError } from '../../errors.ts';
import type { GeneratedFile, OptimizeGoal } from '../../codegen/index.ts';
import { cArrayRows } from '../../codegen/clit.ts';
import { template } from '../../codegen/templates.ts';
import { printItems } from '../../emit-c/print.ts';
import { commentLines } from '../../emit-c/writer.ts';
import { bin, call, cast, id, ifThen, int, ptr, ret, scalar, stmt, unused } from '../../ir/expr.ts';
import type { Expr, Func, Item, Stmt } from '../../ir/kernel-ir.ts';
import { mergeRequirements, requirements, requirementsText, type Requirements } from '../../ir/requirements.ts';
import { targetGuard, targetText, withGuard } from '../../emit-c/guards.ts';
import { headerField } from '../../codegen/view.ts';
import { SHARED_NAMES, wrap } from '../../ops/lower-kit.ts';
import { elemBytes as elemSize, elemCType, elements, type LayerCode, type LowerContext, type SharedFunc } from '../../ops/op.ts';
import type { Target } from '../../targets/index.ts';
import { VERSION } from '../../version.ts';
import type { Layer, Network } from '../network.ts';
import { planMemory, type MemoryPlan } from '../plan.ts';
import { cIdentifier, layerCNames } from './names.ts';

export interface NetworkModuleOptions {
  target: Target;
  optimize?: OptimizeGoal;
  /** Compile this input into the image (boards with no host file system: the UART harness runs on it). */
  builtinInput?: { data: Int8Array; what: string };
  /** The stack the run needs, measured on the compiled module (src/network/measure.ts): stated in the header. */
  stackBytes?: number;
  /** Edit a layer's code before it is printed (tests: a deliberately wrong layer must be named). */
  transformLayer?: (layer: string, code: LayerCode) => LayerCode;
}

/** What the module does at one layer. */
export interface ModuleLayer {
  index: number;
  name: string;
  cName: string;
  op: string;
  inputs: string[];
  output: string;
  outputBytes: number;
  macs: number;
  /** 'call': the layer's function runs; 'alias': its output is its input's bytes (no code). */
  code: 'call' | 'alias';
  summary: string;
  /** Where the output lives: the caller's output, or an arena offset (null: the caller's input, an alias of it). */
  place: { k: 'input' } | { k: 'output' } | { k: 'arena'; offset: number };
}

export interface NetworkModule {
  name: string;
  NAME: string;
  /** The tensors' C element type: int8_t, or int16_t in a q15 network. */
  elem: 'int8_t' | 'int16_t';
  target: Target;
  files: GeneratedFile[];
  plan: MemoryPlan;
  layers: ModuleLayer[];
  inputBytes: number;
  outputBytes: number;
  arenaBytes: number;
  /** Static RAM the kernels declare (.bss staging buffers), bytes. */
  staticBytes: number;
  /** The static const tables' bytes as generated (weights, biases, requantization and region tables). */
  parameterBytes: number;
  /** The model's own constant bytes: its weights (int8) and biases (int32), as the .tflite stores them. */
  modelWeightBytes: number;
  macs: number;
  headers: string[];
}

const HOOKS = [
  '/* Layer hooks: empty unless defined when compiling (convgen\'s test harness dumps each layer\'s output, its bench',
  '   counts each layer\'s instructions). */',
  '#ifndef CONVGEN_LAYER_BEGIN',
  '#define CONVGEN_LAYER_BEGIN(index) ((void)0)',
  '#endif',
  '#ifndef CONVGEN_LAYER_END',
  '#define CONVGEN_LAYER_END(index, tensor, bytes) ((void)0)',
  '#endif',
  '#ifndef CONVGEN_LAYER_VIEW',
  '#define CONVGEN_LAYER_VIEW(index, tensor, bytes) ((void)0)',
  '#endif',
];

const shapeOf = (net: Network, t: string) => `[${net.tensors.get(t)!.shape.join(', ')}]`;
const bytesOf = (net: Network, t: string) => elements(net.tensors.get(t)!.shape) * elemSize(net.tensors.get(t)!.dtype);

/** The header and C text of one network for one target. */
export function generateNetwork(net: Network, o: NetworkModuleOptions): NetworkModule {
  if (net.inputs.length !== 1 || net.outputs.length !== 1)
    throw new InputError(net.source, `convgen generates networks with one input and one output tensor; this one has ${net.inputs.length} and ${net.outputs.length}`);
  const name = cIdentifier(net.name);
  const NAME = name.toUpperCase();
  // Every tensor of a network has one element type: int8, or int16 in a q15 network.
  const dtype = net.tensors.get(net.inputs[0])!.dtype;
  const elem = elemCType(dtype);
  if (o.builtinInput && dtype !== 'int8')
    throw new InputError(net.source, `a board image with a built-in input is generated for int8 and q7 networks; this one is ${net.numeric}`);
  const plan = planMemory(net);
  const cNames = layerCNames(net.layers.map((l) => l.name), [name, ...SHARED_NAMES, 'input', 'output', 'arena', 'buf']);
  const placement = new Map(plan.placements.map((p) => [p.tensor, p]));
  const inputBuffer = placement.get(net.inputs[0])!.buffer;
  const outputBuffer = placement.get(net.outputs[0])!.buffer;
  const place = (t: string): ModuleLayer['place'] => {
    const p = placement.get(t)!;
    if (p.offset !== null) return { k: 'arena', offset: p.offset };
    if (p.buffer === outputBuffer) return { k: 'output' };
    if (p.buffer === inputBuffer) return { k: 'input' };
    throw new Error(`network module: tensor ${t} is outside the arena but is neither the input nor the output`);
  };
  const pointer = (t: string): Expr => {
    const p = place(t);
    if (p.k !== 'arena') return id(p.k);
    // the arena is bytes: an int16 tensor's place is cast through void * (every offset is a multiple of 8)
    return elem === 'int8_t' ? bin('+', 'buf', p.offset) : cast(ptr(elem), cast(ptr('void'), bin('+', 'buf', p.offset)));
  };

  // Shared helpers in order of first use, each after what it uses.
  const shared: SharedFunc[] = [];
  const use = (f: SharedFunc): string => {
    if (!SHARED_NAMES.includes(f.fn.name)) throw new Error(`network module: shared function ${f.fn.name} is not in SHARED_NAMES`);
    if (!shared.includes(f)) {
      for (const u of f.uses ?? []) use(u);
      if (!shared.includes(f)) shared.push(f);
    }
    return f.fn.name;
  };

  const layers: ModuleLayer[] = [];
  const codes: (LayerCode | null)[] = [];
  net.layers.forEach((l, i) => {
    const out = l.outputs[0];
    const p = placement.get(out)!;
    const aliased = p.shares?.kind === 'alias' && p.shares.layer === l.name;
    const inPlace = p.shares?.kind === 'in-place' && p.shares.layer === l.name;
    let code: LayerCode | null = null;
    if (!aliased) {
      if (!l.op.lower) throw new InputError(net.source, `layer ${l.name}: convgen cannot generate C for op ${l.op.name}`);
      const ctx: LowerContext = {
        name: cNames[i], inputs: l.inputs.map((t) => net.tensors.get(t)!), outputs: [net.tensors.get(out)!],
        isa: o.target.features, optimize: o.optimize ?? 'default', inPlace, use,
      };
      code = l.op.lower(l.model, ctx);
      if (o.transformLayer) code = o.transformLayer(l.name, code);
    }
    codes.push(code);
    layers.push({
      index: i, name: l.name, cName: cNames[i], op: l.op.name, inputs: [...l.inputs], output: out, outputBytes: bytesOf(net, out),
      macs: l.macs, code: aliased ? 'alias' : 'call', place: place(out),
      summary: aliased ? `no code: ${out} is ${l.inputs[0]}'s bytes` : `${code!.summary}${inPlace ? ', in place' : ''}`,
    });
  });

  // The run function.
  const runBody: Stmt[] = [];
  // A NULL arena is fine when the plan needs none; alignment: the plan's offsets are multiples of 8 from the arena's start.
  const buffers = plan.arenaBytes > 0 ? ['input', 'output', 'arena'] : ['input', 'output'];
  const isNull = buffers.map((b) => bin('==', b, 'NULL')).reduce((a, b) => bin('||', a, b));
  const bits = buffers.map((b): Expr => cast('uintptr_t', b)).reduce((a, b) => bin('|', a, b));
  const misaligned = bin('!=', bin('&', bits, int(7, 'uint32_t')), int(0, 'uint32_t'));
  runBody.push(ifThen(bin('||', isNull, misaligned), [ret(`${NAME}_ERROR_ARGUMENT`)]));
  if (plan.arenaBytes > 0) runBody.push({ k: 'decl', type: ptr('int8_t'), name: 'buf', init: cast(ptr('int8_t'), 'arena') });
  runBody.push({ k: 'blank' });
  layers.forEach((ml, i) => {
    const l = net.layers[i];
    runBody.push({ k: 'comment', text: { style: 'line', lines: [`${ml.name}: ${l.op.name}, ${l.inputs.map((t) => shapeOf(net, t)).join(' + ')} -> ${shapeOf(net, ml.output)}`] } });
    const outPtr = pointer(ml.output);
    if (ml.code === 'alias') runBody.push(stmt(call('CONVGEN_LAYER_VIEW', i, outPtr, ml.outputBytes), `no code: ${ml.output} is ${l.inputs[0]}'s bytes`));
    else {
      runBody.push(stmt(call('CONVGEN_LAYER_BEGIN', i)));
      runBody.push(stmt(call(codes[i]!.entry, ...l.inputs.map(pointer), outPtr)));
      runBody.push(stmt(call('CONVGEN_LAYER_END', i, outPtr, ml.outputBytes)));
    }
  });
  runBody.push({ k: 'blank' }, ret(`${NAME}_OK`));
  if (plan.arenaBytes === 0) runBody.splice(1, 0, unused('arena'));
  const runFn: Func = {
    name: `${name}_run`, linkage: 'extern', ret: scalar('int'),
    params: [{ type: ptr(elem, { const: true }), name: 'input' }, { type: ptr(elem), name: 'output' }, { type: ptr('void'), name: 'arena' }],
    body: runBody,
  };

  // Print: hooks, shared helpers, layers, run.
  const irItems: Item[] = [];
  const print = (items: Item[]) => {
    irItems.push(...items);
    return printItems({ name, NAME, banner: { style: 'line', lines: [] }, items, entry: runFn.name, memory: { weightBytes: 0, staticBytes: 0, staticDoc: '', scratchBytes: 0 } }, { fold: true });
  };
  const parts: string[] = [HOOKS.join('\n')];
  if (shared.length) parts.push(print(shared.flatMap((f): Item[] => [{ k: 'func', fn: f.fn, ...(f.doc ? { doc: { style: 'block', lines: wrap(f.doc) } } : {}) }, { k: 'blank' }])).trimEnd());
  const embeddedHeaders: string[] = [];
  const embeddedNeeds: Requirements[] = [];
  let staticBytes = 0;
  const staticDocs: string[] = [];
  let parameterBytes = 0;
  layers.forEach((ml, i) => {
    const code = codes[i];
    if (!code) return;
    const l = net.layers[i];
    const head = commentLines({ style: 'block', lines: [
      `Layer ${i}: ${ml.name} (${l.op.name}), ${l.inputs.map((t) => shapeOf(net, t)).join(' + ')} -> ${shapeOf(net, ml.output)}` +
        `${l.macs ? `, ${l.macs} MACs` : ''}: ${ml.summary}`,
    ] }).join('\n');
    if (code.k === 'ir') {
      // the layer function's own comment names the layer and what it computes
      parts.push(print(code.items).trimEnd());
      parameterBytes += code.items.reduce((a, it) => a + (it.k === 'table' ? tableBytes(it.table.elem, it.table.body) : 0), 0);
    } else {
      parts.push(`${head}\n${code.text.trimEnd()}`);
      embeddedHeaders.push(...code.headers);
      embeddedNeeds.push(code.needs);
      staticBytes += code.staticBytes;
      if (code.staticDoc) staticDocs.push(code.staticDoc);
      parameterBytes += constTableBytes(code.text);
    }
  });
  parts.push(print([{ k: 'func', fn: runFn }]).trimEnd());
  const irNeeds = requirements({ items: irItems });
  const irHeaders = irNeeds.headers;
  // what every kernel in the module needs: the header's C line and the .c's one target guard
  const needs = mergeRequirements([irNeeds, ...embeddedNeeds]);
  const guard = targetGuard(`${name}.c`, needs, o.target.features, o.target);
  const order = ['stddef.h', 'string.h', 'arm_acle.h', 'arm_mve.h', 'arm_neon.h'];
  const headers = [...new Set([...irHeaders, ...embeddedHeaders])].sort((a, b) => rank(order, a) - rank(order, b) || a.localeCompare(b));

  const inputBytes = bytesOf(net, net.inputs[0]);
  const outputBytes = bytesOf(net, net.outputs[0]);
  const macs = net.layers.reduce((a, l) => a + l.macs, 0);
  const modelWeightBytes = modelConstBytes(net);
  const body = parts.join('\n\n') + '\n';
  const t = o.target;
  const banner = commentLines({ style: 'block', lines: [
    `${name}.h: the network ${net.name} as one C module, generated by convgen ${VERSION} from ${path.basename(net.source)}.`,
    'Do not edit: change the model and generate again.',
    '',
    ...[...headerField('Target', `${targetText(t)}.`), ...headerField('C', requirementsText({ ...needs, headers: headers as Requirements['headers'] }) +
      (guard.length ? ' The .c stops with #error when compiled for a core without them.' : ''))].map((l) => l.slice(3)),
    `Input      ${tensorLine(net, net.inputs[0])}`,
    `Output     ${tensorLine(net, net.outputs[0])}`,
    `Work       ${macs} multiply-accumulates per inference, ${net.layers.length} layers`,
    '',
    `RAM        arena ${plan.arenaBytes} B (${NAME}_ARENA_BYTES): every intermediate tensor, at offsets planned at build time`,
    `           input ${inputBytes} B and output ${outputBytes} B: the caller's buffers, not in the arena`,
    `           static ${staticBytes} B${staticDocs.length ? ` (${staticDocs.join('; ')})` : ' (no .bss, no .data)'}`,
    o.stackBytes !== undefined
      ? `           stack ${o.stackBytes} B (${NAME}_STACK_BYTES: the deepest call path from ${name}_run, measured on this code for ${t.name})`
      : '           stack: not measured here (convgen build and bench measure it on the compiled module)',
    `Flash      parameters ${parameterBytes} B (static const: weights, biases, requantization and region tables; the model's`,
    `           weights and biases are ${modelWeightBytes} B), plus code`,
    '',
    'Layers     index  name: op, input shapes -> output shape (NHWC), what runs',
    ...layers.map((ml) => `           ${String(ml.index).padStart(5)}  ${ml.name}: ${ml.op}, ${ml.inputs.map((x) => shapeOf(net, x)).join(' + ')} -> ${shapeOf(net, ml.output)}, ${ml.summary}`),
    '',
    `Memory plan (${plan.order}; offsets in the arena, multiples of ${plan.align}):`,
    ...planLines(net, plan),
  ] }).join('\n');

  const defines = [
    `#define ${NAME}_INPUT_BYTES ${inputBytes}u`,
    `#define ${NAME}_OUTPUT_BYTES ${outputBytes}u`,
    `#define ${NAME}_ARENA_BYTES ${plan.arenaBytes}u`,
    `#define ${NAME}_MACS ${macs}u`,
    ...(o.stackBytes !== undefined ? [`#define ${NAME}_STACK_BYTES ${o.stackBytes}u`] : []),
    `#define ${NAME}_OK 0`,
    `#define ${NAME}_ERROR_ARGUMENT 1`,
  ];
  const files: GeneratedFile[] = [
    { name: `${name}.h`, content: template('network/module.h.hbs')({ banner, NAME, name, defines, elem }) },
    { name: `${name}.c`, content: withGuard(template('network/module.c.hbs')({
      banner: commentLines({ style: 'block', lines: [`${name}.c: the network ${net.name} for ${t.name}, generated by convgen ${VERSION} from ${path.basename(net.source)}. Do not edit.`, `What it needs and how memory is used: ${name}.h.`] }).join('\n'),
      name, includes: headers, body,
    }), name, guard) },
    { name: 'convgen_net_entry.h', content: template('network/entry.h.hbs')({
      name, NAME, elem, wide: elem !== 'int8_t', extra: [`#define CONVGEN_LAYERS ${layers.length}`, ...(o.builtinInput ? [`#define CONVGEN_BUILTIN_INPUT ${name}_builtin_input`] : [])],
    }) },
  ];
  if (o.builtinInput)
    files.push({ name: `${name}_input.c`, content: template('network/builtin_input.c.hbs')({
      name, NAME, version: VERSION, what: o.builtinInput.what, lines: cArrayRows(o.builtinInput.data, 16),
    }) });
  return {
    name, NAME, elem, target: t, files, plan, layers, inputBytes, outputBytes, arenaBytes: plan.arenaBytes, staticBytes, parameterBytes,
    modelWeightBytes, macs, headers,
  };
}

const rank = (order: string[], h: string) => (order.includes(h) ? order.indexOf(h) : order.length);

function tensorLine(net: Network, t: string): string {
  const x = net.tensors.get(t)!;
  if (x.frac !== undefined) {
    const [lo, hi] = x.dtype === 'int16' ? [-32768, 32767] : [-128, 127];
    const conv = x.callerConverts === 'quantize' ? `; the caller quantizes: q = clamp(round(x * 2^${x.frac}), ${lo}, ${hi}), half away from zero`
      : x.callerConverts === 'dequantize' ? `; the caller dequantizes: x = q * 2^${-x.frac}` : '';
    return `${t}${x.sourceName ? ` (${x.sourceName})` : ''} ${elemCType(x.dtype)} [${x.shape.join(', ')}], ${bytesOf(net, t)} B, ` +
      `Q${(x.dtype === 'int16' ? 15 : 7) - x.frac}.${x.frac} (${x.frac} fraction bits)${conv}`;
  }
  const conv = x.callerConverts === 'quantize' ? '; the caller quantizes: q = clamp(round(x / scale) + zero point, -128, 127)'
    : x.callerConverts === 'dequantize' ? '; the caller dequantizes: x = scale * (q - zero point)' : '';
  return `${t}${x.sourceName ? ` (${x.sourceName})` : ''} int8 [${x.shape.join(', ')}], ${elements(x.shape)} B, scale ${x.scale}, zero point ${x.zeroPoint}${conv}`;
}

/** One line per tensor: bytes, where it lives, its writer and last reader. */
function planLines(net: Network, plan: MemoryPlan): string[] {
  const layerName = (i: number) => (i < 0 ? 'the caller' : i >= net.layers.length ? 'the caller' : net.layers[i].name);
  const width = Math.max(...plan.placements.map((p) => p.tensor.length));
  return plan.placements.map((p) => {
    const where = p.offset === null ? (net.inputs.includes(p.tensor) ? 'input' : 'caller') : `arena + ${p.offset}`;
    const share = p.shares ? `, ${p.shares.kind === 'alias' ? 'alias of' : 'in place over'} ${p.shares.with}` : '';
    return `  ${p.tensor.padEnd(width)} ${String(p.bytes).padStart(7)} B  ${where.padEnd(13)} ${layerName(p.first)} -> ${layerName(p.last)}${share}`;
  });
}

const elemBytes: Record<string, number> = {
  int8_t: 1, uint8_t: 1, 'unsigned char': 1, int16_t: 2, uint16_t: 2, 'unsigned short': 2, int32_t: 4, uint32_t: 4, int64_t: 8, uint64_t: 8,
};

function tableBytes(elem: unknown, body: { k: 'flat'; lines: string[] } | { k: 'nested'; groups: { lines: string[] }[] }): number {
  const lines = body.k === 'flat' ? body.lines : body.groups.flatMap((g) => g.lines);
  return countValues(lines.join('\n')) * (typeof elem === 'string' ? elemBytes[elem] ?? 4 : 4);
}

/** Integer literals in initializer text, comments removed. */
function countValues(text: string): number {
  const clean = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/INT64_C\(([^)]*)\)/g, '$1');
  return (clean.match(/-?\b(0x[0-9a-fA-F]+|\d+)u?\b/g) ?? []).length;
}

/**
 * Bytes of the static const tables in a kernel's C text: each `static const T name[...] = { ... };` counted as its
 * values times T's size; a struct table's fields are the struct's (all one type in the families' region tables).
 */
export function constTableBytes(text: string): number {
  const structField = new Map<string, number>();
  for (const m of text.matchAll(/struct (\w+) \{([^}]*)\};/g)) {
    const types = [...m[2].matchAll(/^\s*([a-z_ ]+?)\s+\w+(?:,|;)/gm)].map((f) => f[1].trim());
    structField.set(m[1], elemBytes[types[0]] ?? 1);
  }
  let total = 0;
  for (const m of text.matchAll(/^static const (?:struct (\w+)|([a-z_0-9 ]+?)) \w+(?:\[[^\]]*\])+[^=\n]*= \{\n([\s\S]*?)^\};/gm)) {
    const size = m[1] ? structField.get(m[1]) ?? 1 : elemBytes[m[2]] ?? 4;
    total += countValues(m[3]) * size;
  }
  return total;
}

/** The model's constants as it stores them: weights (int8) and biases (int32) of its conv and fully connected layers. */
function modelConstBytes(net: Network): number {
  let total = 0;
  for (const l of net.layers) {
    const k = (l.model as { kernel?: { weights: Int32Array; bias: BigInt64Array | null } }).kernel;
    if (k) total += k.weights.length * elemSize(net.tensors.get(l.inputs[0])!.dtype) + (k.bias ? k.bias.length * 4 : 0);
  }
  return total;
}

export type { Layer };
