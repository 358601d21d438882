/**
 * Answer checking. A registry that answers wrongly fails the workload: its
 * speed is not reported, because a fast wrong answer is worth nothing.
 */
import type { HttpResult } from './http-client.js';

/** A response that is not what the OCI Distribution spec (or the data) says it must be. */
export class WrongAnswer extends Error {
  override readonly name = 'WrongAnswer';
}

/** Throws {@link WrongAnswer} unless `condition` holds. */
export function check(condition: boolean, message: () => string): asserts condition {
  if (!condition) throw new WrongAnswer(message());
}

/** Requires one of the expected statuses; the error quotes the start of the body. */
export function expectStatus(res: HttpResult, expected: number | readonly number[], what: string): void {
  const ok = typeof expected === 'number' ? res.status === expected : expected.includes(res.status);
  check(ok, () => {
    const snippet = res.body.subarray(0, 300).toString('utf8').replace(/\s+/g, ' ').trim();
    return `${what}: status ${res.status}, expected ${String(expected)}${snippet === '' ? '' : ` (${snippet})`}`;
  });
}

/** Returns a single-valued header, or throws if it is missing. */
export function requireHeader(res: HttpResult, name: string, what: string): string {
  const value = res.headers[name.toLowerCase()];
  const text = Array.isArray(value) ? value[0] : value;
  check(text !== undefined && text !== '', () => `${what}: missing ${name} header`);
  return text;
}

/** Requires a header to equal a value exactly. */
export function expectHeader(res: HttpResult, name: string, expected: string, what: string): void {
  const actual = requireHeader(res, name, what);
  check(actual === expected, () => `${what}: ${name} is ${actual}, expected ${expected}`);
}
