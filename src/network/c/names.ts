/**
 * C names for a network and its layers. A network or layer name in a spec may be any string ("conv 1", "block1/add");
 * a KernelModel name and every symbol of the generated C must be a lower-case C identifier. Each layer's symbols and
 * macros start with its C name, so no C name may be another's prefix followed by '_' (conv and conv_1 would both own
 * conv_1_run): when any pair does, every layer is named l<index>_<name>, which makes them all distinct.
 */

const C_KEYWORDS = new Set([
  'auto', 'break', 'case', 'char', 'const', 'continue', 'default', 'do', 'double', 'else', 'enum', 'extern', 'float', 'for',
  'goto', 'if', 'inline', 'int', 'long', 'register', 'restrict', 'return', 'short', 'signed', 'sizeof', 'static', 'struct',
  'switch', 'typedef', 'union', 'unsigned', 'void', 'volatile', 'while', '_bool', '_complex', '_imaginary',
  // C++ keywords: the header is included from C++
  'class', 'delete', 'new', 'namespace', 'private', 'protected', 'public', 'template', 'this', 'throw', 'try', 'catch',
  'operator', 'friend', 'virtual', 'bool', 'true', 'false', 'using', 'typename', 'explicit', 'mutable',
]);

/** A lower-case C identifier from any string: runs of other characters become '_', a leading digit gets 'n'. */
export function cIdentifier(s: string, fallback = 'net'): string {
  let id = s.toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/_+/g, '_').replace(/^_+|_+$/g, '');
  if (!id) id = fallback;
  if (/^[0-9]/.test(id)) id = `n${id}`;
  // Identifiers starting with an underscore and a capital, or two underscores, are reserved; keywords are taken.
  if (C_KEYWORDS.has(id)) id = `${id}_`;
  return id;
}

const owns = (a: string, b: string) => a === b || b.startsWith(`${a}_`);

/** C names of the layers (in order), none owning another's names nor a reserved one (the module's own symbols). */
export function layerCNames(layers: readonly string[], reserved: readonly string[]): string[] {
  const plain = layers.map((n) => cIdentifier(n, 'layer'));
  const clash = plain.some((a, i) => plain.some((b, j) => i !== j && owns(a, b)) || reserved.some((r) => owns(a, r) || owns(r, a)));
  return clash ? plain.map((n, i) => `l${i}_${n}`) : plain;
}
