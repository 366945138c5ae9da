import { createRequire } from 'node:module';
import ts from 'typescript';
import type { FieldSchema, ObjectSchemas } from '../functions/core/api/object-schema';

/**
 * The field tree of Kubernetes kinds, read from the type declarations of the maintained
 * `kubernetes-types` package with the TypeScript compiler: which fields exist, and whether each
 * is a scalar, an object of known fields, a map, or a list. The apiserver uses it to find
 * unknown fields (fieldValidation) without a hand-written copy of the Kubernetes schema.
 */
export function buildObjectSchemas(kinds: readonly string[]): ObjectSchemas {
  const require = createRequire(import.meta.url);
  const file = require.resolve('kubernetes-types/core/v1.d.ts');
  const program = ts.createProgram([file], { strict: true, noEmit: true });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  if (!source) throw new Error(`cannot read ${file}`);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  if (!moduleSymbol) throw new Error('kubernetes-types/core/v1 has no exports');
  const exports = new Map(checker.getExportsOfModule(moduleSymbol).map((s) => [s.name, s]));
  const types: Record<string, Record<string, FieldSchema>> = {};

  const nameOf = (type: ts.Type) => {
    const symbol = type.aliasSymbol ?? type.getSymbol();
    const declaration = symbol?.declarations?.[0];
    const path = declaration?.getSourceFile().fileName ?? '';
    const group = /kubernetes-types\/(.+)\.d\.ts$/.exec(path)?.[1] ?? 'unknown';
    return `${group}.${symbol?.name ?? 'anonymous'}`;
  };

  const describe = (input: ts.Type): FieldSchema => {
    const type = input.isUnion()
      ? (input.types.find((t) => !(t.flags & ts.TypeFlags.Undefined)) ?? input)
      : input;
    if (
      input.isUnion() &&
      input.types.every(
        (t) =>
          t.flags &
          (ts.TypeFlags.StringLike |
            ts.TypeFlags.NumberLike |
            ts.TypeFlags.BooleanLike |
            ts.TypeFlags.Undefined),
      )
    )
      return { kind: 'scalar' };
    if (
      type.flags &
      (ts.TypeFlags.StringLike |
        ts.TypeFlags.NumberLike |
        ts.TypeFlags.BooleanLike |
        ts.TypeFlags.Any |
        ts.TypeFlags.Unknown)
    )
      return { kind: 'scalar' };
    if (checker.isArrayType(type)) {
      const [element] = checker.getTypeArguments(type as ts.TypeReference);
      return { kind: 'list', items: element ? describe(element) : { kind: 'scalar' } };
    }
    const index = checker.getIndexInfosOfType(type)[0];
    if (index && type.getProperties().length === 0) return { kind: 'map', values: describe(index.type) };
    if (type.getProperties().length === 0) return { kind: 'scalar' };
    const name = nameOf(type);
    if (!types[name]) {
      types[name] = {};
      for (const property of type.getProperties()) {
        const declaration = property.valueDeclaration ?? property.declarations?.[0];
        if (!declaration) continue;
        types[name][property.name] = describe(checker.getTypeOfSymbolAtLocation(property, declaration));
      }
    }
    return { kind: 'object', ref: name };
  };

  const roots: Record<string, string> = {};
  for (const kind of kinds) {
    const symbol = exports.get(kind);
    if (!symbol) throw new Error(`kubernetes-types/core/v1 has no ${kind}`);
    const schema = describe(checker.getDeclaredTypeOfSymbol(symbol));
    if (schema.kind !== 'object') throw new Error(`${kind} is not an object type`);
    roots[kind] = schema.ref;
  }
  return { roots, types };
}
