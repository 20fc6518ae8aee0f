import { v4 as uuidv4 } from 'uuid';
import type { DataIdPlan } from '../config/types.js';

/**
 * Gives each record its `data_id`, the only per-record identifier shared with the backend.
 * `uuid` (default): random, carries nothing from the source. `column`: the source value,
 * an explicit opt-in because the column may be personal data.
 */
export interface DataIdAssigner {
  assign(sourceValue: string | null): string;
}

export function dataIdAssigner(plan: DataIdPlan): DataIdAssigner {
  if (plan.strategy === 'column') {
    return {
      assign(sourceValue) {
        if (sourceValue === null) throw new Error('data_id column value missing after the check pass');
        return sourceValue;
      },
    };
  }
  return { assign: () => uuidv4() };
}

/** Longest `data_id` the platform column holds. */
export const MAX_DATA_ID_LENGTH = 255;
