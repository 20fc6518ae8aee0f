import type { JsonValue, Plan } from '../config/types.js';
import type { LabelEncoder } from '../labels/policy.js';
import { declaredSchema, metaDataFor } from './register.js';

/** One backend call a run would make, as `plan` shows it before anything is sent. */
export interface PreviewRequest {
  method: 'GET' | 'POST';
  path: string;
  query?: Record<string, string>;
  /** For the row calls: how many requests, and one element's shape. */
  repeat?: number;
  rows?: number;
  body?: JsonValue;
  note?: string;
}

/**
 * The egress preview: every request a run of this plan would send, in order, with the exact keys
 * and the kinds of values. Row bodies are summarised (one element's shape), not listed.
 */
export function egressPreview(
  plan: Plan,
  rows: number,
  labels: LabelEncoder | null,
  ingestorId: string,
  title: string,
): PreviewRequest[] {
  const batches = Math.ceil(rows / plan.batchSize);
  const labelShape: JsonValue =
    labels === null
      ? null
      : plan.label?.policy === 'bucket'
        ? '<bin index: integer>'
        : `<class value of column "${plan.label?.column ?? ''}">`;
  const dataIdShape =
    plan.dataId.strategy === 'column'
      ? `<value of source column "${plan.dataId.column}">`
      : '<UUID per record: secret-keyed, carries nothing from the source>';
  const out: PreviewRequest[] = [
    {
      method: 'POST',
      path: `/global_meta/${plan.table}/`,
      repeat: batches,
      rows,
      body: [{ data_id: dataIdShape, data_intent: plan.intent, label: labelShape, is_sample: false, injestor_id: ingestorId }],
      note: `one request per committed batch of up to ${plan.batchSize} rows`,
    },
  ];
  if (plan.sendsEdgeLabels) {
    out.push({
      method: 'GET',
      path: '/global_meta/generate-edge-labels-meta/',
      query: { table_name: plan.table, injestor_id: ingestorId, data_intent: plan.intent },
    });
  }
  out.push(
    {
      method: 'POST',
      path: '/global_meta/global_metadata/',
      body: { table_name: plan.table, schema: declaredSchema(plan), meta_data: metaDataFor(plan, labels) },
    },
    {
      method: 'GET',
      path: '/global_meta/prepare/',
      query: { category: plan.category, injestor_id: ingestorId, data_format: plan.dataFormat, data_intent: plan.intent },
    },
    { method: 'POST', path: '/dataset/', body: { title, allow_feature_modification: plan.allowFeatureModification } },
  );
  return out;
}
