/** What a call under test refuses with. */
import { expect } from 'vitest';
import { IngestError, IngestErrors } from '../../src/errors.js';

/** The IngestError `p` rejects with; fails the test when it resolves or rejects with anything else. */
export async function rejection(p: Promise<unknown>): Promise<IngestError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(IngestError);
  return err as IngestError;
}

/** The IngestErrors `run` throws; fails the test when it returns, and rethrows any other error. */
export function thrownErrors(run: () => unknown): IngestErrors {
  try {
    run();
  } catch (e) {
    if (e instanceof IngestErrors) return e;
    throw e;
  }
  throw new Error('expected IngestErrors to be thrown');
}
