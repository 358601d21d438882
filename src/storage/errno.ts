/** Errors as the storage code handles them. */

/** Node's system errors by their `code` (`ENOENT`, `EEXIST`, ...). */
export function isCode(err: unknown, ...codes: string[]): boolean {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' && codes.includes(code);
}

/** `err` itself when it is an Error, else an Error carrying its text (a rejection may be any value). */
export function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
