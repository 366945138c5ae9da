/**
 * The shape of `object-schema.generated.json`: the field tree of the kinds the API accepts, made
 * by `scripts/generate-object-schema.ts` from the `kubernetes-types` package.
 */
/** The JSON a scalar field accepts: Go's decoder refuses anything else for that field's type. */
export type ScalarType = 'string' | 'integer' | 'number' | 'boolean' | 'int-or-string' | 'quantity' | 'any';

export type FieldSchema =
  | { readonly kind: 'scalar'; readonly type: ScalarType; readonly format?: 'int32' | 'int64' }
  | { readonly kind: 'object'; readonly ref: string }
  | { readonly kind: 'map'; readonly values: FieldSchema }
  | { readonly kind: 'list'; readonly items: FieldSchema };

export interface ObjectSchemas {
  readonly roots: Readonly<Record<string, string>>;
  readonly types: Readonly<Record<string, Readonly<Record<string, FieldSchema>>>>;
}
