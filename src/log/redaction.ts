/**
 * Keys whose values are never logged. pino replaces them with "[redacted]" wherever they appear
 * at these paths; the code also never passes tokens, passwords or cell values to the logger.
 */
export const REDACT_PATHS = [
  'token',
  'password',
  'authorization',
  'BACKEND_TOKEN',
  'DB_PASSWORD',
  'CLIENT_PASSWORD', // never read by the ingestor; redacted should anything else ever log it
  '*.token',
  '*.password',
  '*.authorization',
  '*.BACKEND_TOKEN',
  '*.DB_PASSWORD',
  'headers.authorization',
  'env.BACKEND_TOKEN',
  'env.DB_PASSWORD',
];
