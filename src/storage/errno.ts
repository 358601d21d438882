/** Node's system errors by their `code` (`ENOENT`, `EEXIST`, ...). */
export function isCode(err: unknown, ...codes: string[]): boolean {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' && codes.includes(code);
}
