/**
 * The shape of `object-schema.generated.json`: the field tree of the kinds the API accepts, made
 * by `scripts/generate-object-schema.ts` from the `kubernetes-types` package.
 */
export type FieldSchema =
  | { readonly kind: 'scalar' }
  | { readonly kind: 'object'; readonly ref: string }
  | { readonly kind: 'map'; readonly values: FieldSchema }
  | { readonly kind: 'list'; readonly items: FieldSchema };

export interface ObjectSchemas {
  readonly roots: Readonly<Record<string, string>>;
  readonly types: Readonly<Record<string, Readonly<Record<string, FieldSchema>>>>;
}
