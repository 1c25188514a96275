import { createRequire } from 'node:module';
import type * as ArrowNs from 'apache-arrow';
import { metadataPath, metadataTakenAt } from './metadata-fields.js';
import type { VectorItem } from './vector-store.js';

/**
 * @lancedb/lancedb is CommonJS and checks `instanceof arrow.Table` against the CommonJS build of
 * apache-arrow; an ESM `import` loads the other build (dual-package hazard) and every write fails with
 * "Table and inner RecordBatch schemas must be equivalent". So take arrow through require().
 */
export const arrow = createRequire(import.meta.url)('apache-arrow') as typeof ArrowNs;

/** Columns of the vlm LanceDB table: filters run as SQL on path / taken_at; metadata is the full JSON. */
export function lanceSchema(dim: number): ArrowNs.Schema {
  return new arrow.Schema([
    new arrow.Field('id', new arrow.Utf8(), false),
    new arrow.Field('vector', new arrow.FixedSizeList(dim, new arrow.Field('item', new arrow.Float32(), true)), false),
    new arrow.Field('path', new arrow.Utf8(), true),
    // epoch ms as float64: exact for any real date and comparable in SQL without bigint handling
    new arrow.Field('taken_at', new arrow.Float64(), true),
    new arrow.Field('metadata', new arrow.Utf8(), false),
  ]);
}

/** Vector dimension recorded in a table schema, or undefined when it has no vector column. */
export function schemaDim(schema: ArrowNs.Schema): number | undefined {
  const field = schema.fields.find((f) => f.name === 'vector');
  return field && field.type instanceof arrow.FixedSizeList ? field.type.listSize : undefined;
}

/** One arrow table for a batch of items; vectors are copied once into a flat float32 buffer. */
export function itemsToTable(items: VectorItem[], dim: number): ArrowNs.Table {
  const schema = lanceSchema(dim);
  const n = items.length;
  const flat = new Float32Array(n * dim);
  items.forEach((item, i) => flat.set(item.vector, i * dim));
  const vectorType = schema.fields[1].type as ArrowNs.FixedSizeList<ArrowNs.Float32>;
  const child = arrow.makeData({ type: new arrow.Float32(), length: n * dim, data: flat });
  const vectors = arrow.makeData({ type: vectorType, length: n, nullCount: 0, child });
  const column = <T extends ArrowNs.DataType>(values: unknown[], type: T) => arrow.vectorFromArray(values, type).data[0];
  const children = [
    column(items.map((it) => it.id), new arrow.Utf8()),
    vectors,
    column(items.map((it) => metadataPath(it.metadata)), new arrow.Utf8()),
    column(items.map((it) => metadataTakenAt(it.metadata)), new arrow.Float64()),
    column(items.map((it) => JSON.stringify(it.metadata ?? {})), new arrow.Utf8()),
  ];
  const struct = arrow.makeData({ type: new arrow.Struct(schema.fields), length: n, nullCount: 0, children });
  return new arrow.Table([new arrow.RecordBatch(schema, struct)]);
}
