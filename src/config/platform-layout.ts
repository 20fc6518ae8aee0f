/** The platform's table layout (PLATFORM.md §4): what every dataset table holds besides the declared columns. */

/** Every column of the platform layout (PLATFORM.md §4); `schema:` may not declare them. */
export const PLATFORM_COLUMNS = [
  'id',
  'created_at',
  'updated_at',
  'status',
  'label',
  'data_intent',
  'data_id',
  'filename',
  'extension',
  'annotation',
  'ingestor_id',
] as const;
