import { createRequire } from 'node:module';
import ts from 'typescript';
import type { FieldSchema, ObjectSchemas, ScalarType } from '../functions/core/api/object-schema';
import { numberFormat } from './number-formats';

/**
 * The field tree of Kubernetes kinds, read from the type declarations of the maintained
 * `kubernetes-types` package with the TypeScript compiler: which fields exist, and whether each
 * is a scalar, an object of known fields, a map, or a list. The apiserver uses it to find
 * unknown fields (fieldValidation) without a hand-written copy of the Kubernetes schema.
 */
export function buildObjectSchemas(kinds: readonly string[]): ObjectSchemas {
  const require = createRequire(import.meta.url);
  // Kinds are core/v1 unless named with their module, as `meta/v1.DeleteOptions`.
  const modules = ['core/v1', 'meta/v1', 'authorization/v1', 'policy/v1'];
  const files = modules.map((m) => require.resolve(`kubernetes-types/${m}.d.ts`));
  const program = ts.createProgram(files, { strict: true, noEmit: true });
  const checker = program.getTypeChecker();
  const exports = new Map<string, ts.Symbol>();
  modules.forEach((module, i) => {
    const source = program.getSourceFile(files[i] as string);
    const moduleSymbol = source && checker.getSymbolAtLocation(source);
    if (!moduleSymbol) throw new Error(`kubernetes-types/${module} has no exports`);
    for (const symbol of checker.getExportsOfModule(moduleSymbol))
      exports.set(`${module}.${symbol.name}`, symbol);
  });
  const types: Record<string, Record<string, FieldSchema>> = {};

  const nameOf = (type: ts.Type) => {
    const symbol = type.aliasSymbol ?? type.getSymbol();
    const declaration = symbol?.declarations?.[0];
    const path = declaration?.getSourceFile().fileName ?? '';
    const group = /kubernetes-types\/(.+)\.d\.ts$/.exec(path)?.[1] ?? 'unknown';
    return `${group}.${symbol?.name ?? 'anonymous'}`;
  };

  // What JSON a scalar field decodes from, as Go's decoder would accept it into the field's type.
  const scalarOf = (types: readonly ts.Type[]): ScalarType => {
    const has = (flag: ts.TypeFlags) => types.some((t) => t.flags & flag);
    if (has(ts.TypeFlags.Any) || has(ts.TypeFlags.Unknown)) return 'any';
    if (has(ts.TypeFlags.NumberLike) && has(ts.TypeFlags.StringLike)) return 'int-or-string';
    if (has(ts.TypeFlags.NumberLike)) return 'integer';
    if (has(ts.TypeFlags.BooleanLike)) return 'boolean';
    return 'string';
  };
  const scalarFlags =
    ts.TypeFlags.StringLike |
    ts.TypeFlags.NumberLike |
    ts.TypeFlags.BooleanLike |
    ts.TypeFlags.Any |
    ts.TypeFlags.Unknown;

  // The name a field's type is written with, where the checker forgets aliases of primitives.
  const writtenAs = (node: ts.Node | undefined) =>
    node && (ts.isPropertySignature(node) || ts.isIndexSignatureDeclaration(node))
      ? node.type?.getText()
      : undefined;

  const describe = (input: ts.Type, written?: string): FieldSchema => {
    const defined = input.isUnion()
      ? input.types.filter((t) => !(t.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null)))
      : [input];
    // Quantity is declared a string, but its decoder takes a bare number too (`cpu: 1`).
    if (written === 'Quantity') return { kind: 'scalar', type: 'quantity' };
    if (defined.length > 0 && defined.every((t) => t.flags & scalarFlags))
      return { kind: 'scalar', type: scalarOf(defined) };
    const type = defined[0] ?? input;
    if (checker.isArrayType(type)) {
      const [element] = checker.getTypeArguments(type as ts.TypeReference);
      return { kind: 'list', items: element ? describe(element) : { kind: 'scalar', type: 'any' } };
    }
    const index = checker.getIndexInfosOfType(type)[0];
    if (index && type.getProperties().length === 0)
      return { kind: 'map', values: describe(index.type, writtenAs(index.declaration)) };
    // An object with no declared fields (FieldsV1, RawExtension) holds any JSON.
    if (type.getProperties().length === 0) return { kind: 'scalar', type: 'any' };
    const name = nameOf(type);
    if (!types[name]) {
      types[name] = {};
      for (const property of type.getProperties()) {
        const declaration = property.valueDeclaration ?? property.declarations?.[0];
        if (!declaration) continue;
        const field = describe(
          checker.getTypeOfSymbolAtLocation(property, declaration),
          writtenAs(declaration),
        );
        types[name][property.name] = withNumberFormat(field, name, property.name);
      }
    }
    return { kind: 'object', ref: name };
  };

  // An integer field says which Go integer it is (int32 or int64), for the decoder's messages;
  // a `number` that upstream declares a float (`double`) takes fractions.
  const withNumberFormat = (field: FieldSchema, owner: string, property: string): FieldSchema => {
    if (field.kind !== 'scalar' || field.type !== 'integer') return field;
    const [group = '', ownerName = ''] = owner.split(/\.(?=[^.]+$)/);
    const format = numberFormat(group, ownerName, property);
    if (format === 'int32' || format === 'int64') return { ...field, format };
    return format ? { kind: 'scalar', type: 'number' } : field;
  };

  const roots: Record<string, string> = {};
  for (const kind of kinds) {
    const qualified = kind.includes('.') ? kind : `core/v1.${kind}`;
    const symbol = exports.get(qualified);
    if (!symbol) throw new Error(`kubernetes-types has no ${qualified}`);
    const schema = describe(checker.getDeclaredTypeOfSymbol(symbol));
    if (schema.kind !== 'object') throw new Error(`${kind} is not an object type`);
    roots[qualified.split('.').pop() as string] = schema.ref;
  }
  return { roots, types };
}
