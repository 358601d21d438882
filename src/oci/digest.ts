/**
 * Content digests (image-spec: descriptor.md "Digests").
 *
 * `algorithm ":" encoded`, where berth computes sha256 and sha512 and rejects
 * every other registered or unregistered algorithm with `DIGEST_INVALID`
 * (distribution-spec: "if the client provided digest is invalid or uses an
 * unsupported algorithm, the registry SHOULD respond with 400").
 */
import { createHash, type Hash } from 'node:crypto';
import { RegistryError } from './errors.js';

export type DigestAlgorithm = 'sha256' | 'sha512';

export const DIGEST_ALGORITHMS: Readonly<Record<DigestAlgorithm, { hexLength: number }>> = {
  sha256: { hexLength: 64 },
  sha512: { hexLength: 128 },
};

/** A parsed, validated digest. */
export interface Digest {
  readonly algorithm: DigestAlgorithm;
  readonly encoded: string;
  /** `algorithm:encoded`, the canonical string. */
  readonly value: string;
}

/** image-spec grammar: algorithm-component ([+._-] algorithm-component)* ":" [a-zA-Z0-9=_-]+ */
const DIGEST_GRAMMAR = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/** True when `alg` is an algorithm berth can compute. */
export function isDigestAlgorithm(alg: string): alg is DigestAlgorithm {
  return Object.hasOwn(DIGEST_ALGORITHMS, alg);
}

/**
 * Parses a digest string, or returns undefined when it is not one berth can
 * verify (wrong grammar, unknown algorithm, wrong length, uppercase hex).
 *
 * @example
 * tryParseDigest('sha256:' + 'a'.repeat(64))?.algorithm // 'sha256'
 */
export function tryParseDigest(input: string): Digest | undefined {
  if (input.length > 200 || !DIGEST_GRAMMAR.test(input)) return undefined;
  const colon = input.indexOf(':');
  const algorithm = input.slice(0, colon);
  const encoded = input.slice(colon + 1);
  if (!isDigestAlgorithm(algorithm)) return undefined;
  const { hexLength } = DIGEST_ALGORITHMS[algorithm];
  if (encoded.length !== hexLength || !/^[a-f0-9]+$/.test(encoded)) return undefined;
  return { algorithm, encoded, value: input };
}

/**
 * Parses a digest string.
 *
 * @throws RegistryError `DIGEST_INVALID` with the reason in `detail`.
 */
export function parseDigest(input: string): Digest {
  const digest = tryParseDigest(input);
  if (digest === undefined) {
    const alg = input.split(':', 1)[0] ?? '';
    const reason =
      DIGEST_GRAMMAR.test(input) && !isDigestAlgorithm(alg)
        ? `unsupported digest algorithm "${alg}"; berth accepts sha256 and sha512`
        : `"${input.slice(0, 200)}" is not a valid digest (expected sha256:<64 hex> or sha512:<128 hex>)`;
    throw new RegistryError('DIGEST_INVALID', reason);
  }
  return digest;
}

/** A streaming hasher for one algorithm. */
export function createDigester(algorithm: DigestAlgorithm): Hash {
  return createHash(algorithm);
}

/** The digest of a buffer held in memory (manifests, configs, test data). */
export function digestOf(data: Uint8Array | string, algorithm: DigestAlgorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}
