import type { Category } from '../config/types.js';

/**
 * Categories this ingestor refuses at `validate` on purpose, with the reason shown to the customer.
 * (A category neither here nor in RUNTIMES is refused as "not supported yet".)
 *
 * instance_segmentation: the platform defines no instance-mask format for it — the schema does not
 * even ask for a `masks` directory, no example config or sample dataset exists, and today's Python
 * ingestor copies nothing for it (rows without files). Ingesting images with guessed masks would
 * register a dataset no training job can read, so it is refused until the format is specified.
 */
export const REFUSED_CATEGORIES: Readonly<Partial<Record<Category, string>>> = {
  instance_segmentation:
    'category instance_segmentation is not ingested by this version: the platform defines no instance-mask format for it, so its rows could only be written without their masks; nothing was ingested — use semantic_segmentation (one PNG mask per image) or object_detection (Pascal VOC boxes) instead',
};
