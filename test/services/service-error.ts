/**
 * What test services (PostgreSQL, Ceph S3, ...) share: the error that says a
 * service cannot run on this machine, and the policy for it. Locally a
 * missing service skips its tests with a visible reason; in CI
 * (`CI=true`) it is a broken set-up and fails them.
 */
import { test } from 'node:test';

/** The service cannot run on this machine (its binaries or user are missing). */
export class ServiceUnavailableError extends Error {
  override readonly name = 'ServiceUnavailableError';
}

/**
 * True for a {@link ServiceUnavailableError}, also one from another module
 * that declares its own class of that name (matched by `name`).
 */
export function isServiceUnavailable(error: unknown): error is Error {
  return (
    error instanceof Error && (error instanceof ServiceUnavailableError || error.name === 'ServiceUnavailableError')
  );
}

/** True when missing services must fail tests rather than skip them. */
export function inCi(): boolean {
  return process.env['CI'] === 'true';
}

/**
 * Starts a service for a whole test file, at top level (before tests that
 * need it are declared). When the service cannot run here it declares a
 * skipped test whose reason names what is missing and resolves undefined;
 * in CI (`CI=true`), and for any other failure, it rejects.
 *
 * @example
 * ```ts
 * const s3 = await requireOrSkip('s3 storage driver', startS3);
 * if (s3 !== undefined) {
 *   after(() => s3.stop());
 *   storageDriverSuite('s3', factory);
 * }
 * ```
 */
export async function requireOrSkip<T>(name: string, start: () => Promise<T>): Promise<T | undefined> {
  try {
    return await start();
  } catch (error) {
    if (!isServiceUnavailable(error) || inCi()) throw error;
    test(name, { skip: error.message }, () => {});
    return undefined;
  }
}

/**
 * Starts a service for one test, or skips that test with the reason when the
 * service cannot run here, except in CI (`CI=true`), where it rethrows.
 *
 * @example
 * ```ts
 * test('talks to s3', async (t) => {
 *   const s3 = await serviceOrSkip(t, startS3);
 *   if (s3 === undefined) return;
 *   t.after(() => s3.stop());
 * });
 * ```
 */
export async function serviceOrSkip<T>(
  t: { skip(message?: string): void },
  start: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await start();
  } catch (error) {
    if (!isServiceUnavailable(error) || inCi()) throw error;
    t.skip(error.message);
    return undefined;
  }
}

/**
 * A `skip` option for a whole `describe`: the reason when the service cannot
 * run here, undefined when it can. In CI (`CI=true`) it throws instead, so
 * the test file fails. `probe` must be cheap and synchronous.
 *
 * @example
 * ```ts
 * describe('s3', { skip: serviceSkipReason(probeS3) }, () => { … });
 * ```
 */
export function serviceSkipReason(probe: () => unknown): string | undefined {
  try {
    probe();
    return undefined;
  } catch (error) {
    if (!isServiceUnavailable(error) || inCi()) throw error;
    return error.message;
  }
}
