/**
 * Which backend the ingestor talks to (PLATFORM.md §2): `BACKEND_URL` if set, else `CLIENT_ENV`.
 */
import { IngestError } from '../errors.js';

export const CLIENT_ENV_URLS = {
  prod: 'https://api.tracebloc.io',
  stg: 'https://stg-api.tracebloc.io',
  dev: 'https://dev-api.tracebloc.io',
  local: 'http://localhost:8000',
} as const satisfies Record<string, string>;

export type ClientEnv = keyof typeof CLIENT_ENV_URLS;

/**
 * The backend base URL, without a trailing slash.
 *
 * - `BACKEND_URL` (non-empty) wins; it must be an absolute http(s) URL without credentials, query
 *   or fragment, else `ENV_INVALID` naming `BACKEND_URL`.
 * - otherwise `CLIENT_ENV`: `prod` (also unset or empty), `stg`, `dev`, `local`; anything else is
 *   `ENV_INVALID` naming `CLIENT_ENV` (the Python ingestor silently mapped unknown values to dev).
 */
export function resolveBackendUrl(env: NodeJS.ProcessEnv): string {
  const explicit = env['BACKEND_URL']?.trim();
  if (explicit) return parseBackendUrl(explicit);

  const clientEnv = (env['CLIENT_ENV'] ?? '').trim();
  if (clientEnv === '') return CLIENT_ENV_URLS.prod;
  if (Object.hasOwn(CLIENT_ENV_URLS, clientEnv)) return CLIENT_ENV_URLS[clientEnv as ClientEnv];
  throw new IngestError(
    'ENV_INVALID',
    `CLIENT_ENV must be one of ${Object.keys(CLIENT_ENV_URLS).join(', ')} (got ${JSON.stringify(clientEnv.slice(0, 40))})`,
    { env: 'CLIENT_ENV' },
  );
}

function parseBackendUrl(raw: string): string {
  const invalid = (why: string): IngestError =>
    new IngestError('ENV_INVALID', `BACKEND_URL must be an http(s) URL: ${why}`, { env: 'BACKEND_URL' });
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid('not a valid absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid(`unsupported scheme ${url.protocol}`);
  if (url.username !== '' || url.password !== '') throw invalid('credentials in the URL are not accepted');
  if (url.search !== '' || url.hash !== '') throw invalid('query and fragment are not accepted');
  // keep a path prefix (reverse proxies), drop the trailing slash: request paths start with '/'
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}
