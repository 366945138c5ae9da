import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { numberFormat } from './number-formats';

/**
 * Regenerates functions/core/api/openapi-v1.generated.json, the schema half of the OpenAPI v3
 * document served at /openapi/v3/api/v1 (`kubectl explain` reads it), from the `kubernetes-types`
 * package (run after upgrading it). That package is generated from upstream's OpenAPI: each
 * declaration's JSDoc is the upstream description, and a property without `?` is a required one.
 * Schemas are named and shaped as kube-apiserver names and shapes them in its v3 document.
 */

/** The core/v1 kinds podplane serves; meta/v1 Status is added to them. */
export const openApiKinds = [
  'Pod',
  'PodList',
  'Namespace',
  'NamespaceList',
  'Node',
  'NodeList',
  'Event',
  'EventList',
] as const;
/** The policy/v1 kinds podplane serves, in the same components (the policy/v1 document shares them). */
export const openApiPolicyKinds = ['PodDisruptionBudget', 'PodDisruptionBudgetList', 'Eviction'] as const;
export const openApiPath = new URL('../functions/core/api/openapi-v1.generated.json', import.meta.url);

/** The subset of an OpenAPI 3.0 schema object that this document uses. */
export interface OpenApiSchema {
  description?: string;
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  format?: string;
  required?: string[];
  properties?: Record<string, OpenApiSchema>;
  items?: OpenApiSchema;
  additionalProperties?: OpenApiSchema;
  allOf?: OpenApiSchema[];
  oneOf?: OpenApiSchema[];
  $ref?: string;
  'x-kubernetes-int-or-string'?: true;
  'x-kubernetes-group-version-kind'?: { group: string; version: string; kind: string }[];
}

export interface OpenApiDocument {
  openapi: '3.0.0';
  info: { title: string; version: string };
  paths: Record<string, never>;
  components: { schemas: Record<string, OpenApiSchema> };
}

/** Where kube-apiserver's OpenAPI puts the Go package each kubernetes-types file was generated from. */
const upstreamPackages: Record<string, string> = {
  'core/v1': 'io.k8s.api.core.v1',
  'policy/v1': 'io.k8s.api.policy.v1',
  'meta/v1': 'io.k8s.apimachinery.pkg.apis.meta.v1',
  'api/resource': 'io.k8s.apimachinery.pkg.api.resource',
  runtime: 'io.k8s.apimachinery.pkg.runtime',
};
const intOrStringName = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
const ref = (name: string) => `#/components/schemas/${name}`;

function numberSchema(format: string | undefined): OpenApiSchema {
  if (format === 'int32' || format === 'int64') return { type: 'integer', format };
  return format ? { type: 'number', format } : { type: 'number' };
}

export function buildOpenApiDocument(): OpenApiDocument {
  const require = createRequire(import.meta.url);
  const typesRoot = require.resolve('kubernetes-types/core/v1.d.ts').replace(/core\/v1\.d\.ts$/, '');
  const files = ['core/v1.d.ts', 'meta/v1.d.ts', 'policy/v1.d.ts'].map((file) => `${typesRoot}${file}`);
  const program = ts.createProgram(files, { strict: true, noEmit: true });
  const checker = program.getTypeChecker();
  const schemas: Record<string, OpenApiSchema> = {};

  const description = (symbol: ts.Symbol | undefined) =>
    symbol ? ts.displayPartsToString(symbol.getDocumentationComment(checker)) : '';
  const withDescription = (text: string, schema: OpenApiSchema): OpenApiSchema =>
    text ? { description: text, ...schema } : schema;
  const groupOf = (declaration: ts.Declaration) => {
    const path = declaration.getSourceFile().fileName;
    const group = path.startsWith(typesRoot) ? path.slice(typesRoot.length).replace(/\.d\.ts$/, '') : path;
    if (!upstreamPackages[group]) throw new Error(`no upstream package known for ${path}`);
    return group;
  };

  /** A named declaration becomes a component schema (once) and is referred to by name. */
  const named = (symbol: ts.Symbol): string => {
    const declaration = symbol.declarations?.[0];
    if (!declaration) throw new Error(`${symbol.name} has no declaration`);
    const group = groupOf(declaration);
    const name = `${upstreamPackages[group]}.${symbol.name}`;
    if (schemas[name]) return name;
    const text = description(symbol);
    if (ts.isTypeAliasDeclaration(declaration)) {
      // Quantity, Time and MicroTime: string aliases in kubernetes-types, typed as upstream types them.
      if (symbol.name === 'Quantity')
        schemas[name] = withDescription(text, { oneOf: [{ type: 'string' }, { type: 'number' }] });
      else if (symbol.name === 'Time' || symbol.name === 'MicroTime')
        schemas[name] = withDescription(text, { type: 'string', format: 'date-time' });
      else throw new Error(`no OpenAPI type known for the alias ${symbol.name}`);
      return name;
    }
    if (!ts.isInterfaceDeclaration(declaration) || declaration.heritageClauses)
      throw new Error(`${symbol.name} is not a plain interface`);
    const schema: OpenApiSchema = withDescription(text, { type: 'object' });
    schemas[name] = schema; // registered before its fields, so self-references end here
    const required: string[] = [];
    const properties: Record<string, OpenApiSchema> = {};
    for (const member of declaration.members) {
      if (!ts.isPropertySignature(member) || !member.type || !ts.isIdentifier(member.name))
        throw new Error(`${symbol.name} has a member that is not a plain property`);
      const field = member.name.text;
      const context = { group, owner: symbol.name, field };
      const fieldText = description(checker.getSymbolAtLocation(member.name));
      const fieldSchema = schemaOf(member.type, context);
      // A $ref's siblings are ignored in OpenAPI 3.0, so upstream wraps a described ref in allOf.
      properties[field] = withDescription(
        fieldText,
        fieldSchema.$ref ? { allOf: [fieldSchema] } : fieldSchema,
      );
      if (!member.questionToken) required.push(field);
    }
    if (required.length) schema.required = required;
    if (Object.keys(properties).length) schema.properties = properties;
    return name;
  };

  const schemaOf = (
    node: ts.TypeNode,
    context: { group: string; owner: string; field: string },
  ): OpenApiSchema => {
    switch (node.kind) {
      case ts.SyntaxKind.StringKeyword:
        return { type: 'string' };
      case ts.SyntaxKind.BooleanKeyword:
        return { type: 'boolean' };
      case ts.SyntaxKind.NumberKeyword:
        return numberSchema(numberFormat(context.group, context.owner, context.field));
    }
    if (ts.isLiteralTypeNode(node) && ts.isStringLiteral(node.literal)) return { type: 'string' }; // apiVersion, kind
    if (ts.isUnionTypeNode(node)) {
      const members = node.types.map((t) => t.kind).sort();
      if (members.join() === [ts.SyntaxKind.NumberKeyword, ts.SyntaxKind.StringKeyword].sort().join()) {
        // kubernetes-types writes IntOrString inline as `number | string`.
        schemas[intOrStringName] ??= {
          description: 'IntOrString holds either an int32 or a string, such as a port number or a port name.',
          format: 'int-or-string',
          oneOf: [{ type: 'integer' }, { type: 'string' }],
          'x-kubernetes-int-or-string': true,
        };
        return { $ref: ref(intOrStringName) };
      }
    }
    if (ts.isTypeLiteralNode(node)) {
      const [index] = node.members;
      if (node.members.length === 1 && index && ts.isIndexSignatureDeclaration(index))
        return { type: 'object', additionalProperties: schemaOf(index.type, context) };
    }
    if (ts.isTypeReferenceNode(node) && ts.isIdentifier(node.typeName)) {
      const [element] = node.typeArguments ?? [];
      if (node.typeName.text === 'Array' && element)
        return { type: 'array', items: schemaOf(element, context) };
      let symbol = checker.getSymbolAtLocation(node.typeName);
      if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
      if (symbol) return { $ref: ref(named(symbol)) };
    }
    throw new Error(`${context.owner}.${context.field}: no OpenAPI type for \`${node.getText()}\``);
  };

  const exportsOf = (file: string) => {
    const source = program.getSourceFile(file);
    const module = source && checker.getSymbolAtLocation(source);
    if (!module) throw new Error(`cannot read ${file}`);
    return new Map(checker.getExportsOfModule(module).map((s) => [s.name, s]));
  };
  const [coreFile = '', metaFile = '', policyFile = ''] = files;
  const core = exportsOf(coreFile);
  const policy = exportsOf(policyFile);
  const roots = [
    ...openApiKinds.map((kind) => ({ group: '', symbol: core.get(kind) })),
    { group: '', symbol: exportsOf(metaFile).get('Status') },
    ...openApiPolicyKinds.map((kind) => ({ group: 'policy', symbol: policy.get(kind) })),
  ];
  for (const { group, symbol } of roots) {
    if (!symbol) throw new Error('kubernetes-types is missing a kind podplane serves');
    const schema = schemas[named(symbol)];
    if (schema) schema['x-kubernetes-group-version-kind'] = [{ group, kind: symbol.name, version: 'v1' }];
  }

  const { version } = JSON.parse(readFileSync(`${typesRoot}package.json`, 'utf8')) as { version: string };
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes core/v1 and policy/v1 schemas, from kubernetes-types', version },
    paths: {},
    components: {
      schemas: Object.fromEntries(
        Object.keys(schemas)
          .sort()
          .map((name) => [name, schemas[name] ?? {}]),
      ),
    },
  };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  const path = fileURLToPath(openApiPath);
  writeFileSync(path, `${JSON.stringify(buildOpenApiDocument())}\n`);
  // In the repository's JSON layout, so `biome ci` accepts the file as written.
  execFileSync('npx', ['biome', 'format', '--write', path], { stdio: 'inherit' });
  console.log(`wrote ${path}`);
}
