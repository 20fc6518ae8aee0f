import type { Plan, JsonValue } from '../config/types.js';
import type { BackendClient } from '../backend/client.js';
import type { LabelEncoder } from '../labels/policy.js';

/** The feature schema as sent in `global_metadata`: the declared SQL types, never reflected guesses. */
export function declaredSchema(plan: Plan): Record<string, string> {
  return Object.fromEntries(plan.columns.map((c) => [c.name, c.type.sql]));
}

export function metaDataFor(plan: Plan, labels: LabelEncoder | null): Record<string, JsonValue> {
  return labels ? { ...plan.metaData, label_policy: labels.describe() } : { ...plan.metaData };
}

/**
 * Calls 2–5 of PLATFORM.md §5, in order, after every batch's metadata was accepted.
 * A failure here fails the run.
 */
export async function registerDataset(
  plan: Plan,
  backend: BackendClient,
  labels: LabelEncoder | null,
  title: string,
): Promise<void> {
  if (plan.sendsEdgeLabels) await backend.generateEdgeLabels();
  await backend.sendGlobalMetadata(declaredSchema(plan), metaDataFor(plan, labels));
  await backend.prepare(plan.category, plan.dataFormat);
  await backend.registerDataset(title, plan.allowFeatureModification);
}
