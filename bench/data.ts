/**
 * Incompressible test data with known digests, without holding big blobs in memory.
 *
 * One pool of random bytes (16 MiB) is generated per bench run. A blob is named by
 * an id and a size: its bytes are a 32-byte prefix derived from the id (so every
 * blob has its own digest) followed by the pool, read cyclically from an offset
 * that also derives from the id. Any byte range can be regenerated at any time,
 * which is how pulls and Range GETs are verified.
 */
import { createHash, randomBytes } from 'node:crypto';

export const MiB = 1024 * 1024;
const PREFIX_BYTES = 32;
/** The largest chunk handed to a socket at once. */
const CHUNK_BYTES = 4 * MiB;

/** A blob that exists only as a recipe. */
export interface BlobSpec {
  readonly id: string;
  readonly size: number;
}

export interface DataPool {
  /** Zero-copy chunks of bytes [start, end) of the blob. */
  chunks(spec: BlobSpec, start?: number, end?: number): Generator<Buffer>;
  /** Bytes [start, end) of the blob as one buffer (copies; keep it small). */
  bytes(spec: BlobSpec, start?: number, end?: number): Buffer;
  /** Whether `body` equals bytes [start, start + body.length) of the blob (no copies). */
  matches(spec: BlobSpec, start: number, body: Buffer): boolean;
  /** `sha256:<hex>` of the whole blob, computed once by a hashing pass and remembered. */
  digest(spec: BlobSpec): string;
}

/**
 * Creates a pool of fresh random bytes.
 *
 * @example
 * const pool = createDataPool();
 * const blob = { id: 'run1/push/0', size: 256 * MiB };
 * const digest = pool.digest(blob); // hashes 256 MiB once
 * for (const chunk of pool.chunks(blob)) socket.write(chunk);
 */
export function createDataPool(poolBytes = 16 * MiB): DataPool {
  const pool = randomBytes(poolBytes);
  const digests = new Map<string, string>();

  function layout(spec: BlobSpec): { prefix: Buffer; offset: number } {
    const prefix = createHash('sha256').update(spec.id).digest();
    return { prefix, offset: prefix.readUInt32BE(0) % poolBytes };
  }

  function* chunks(spec: BlobSpec, start = 0, end = spec.size): Generator<Buffer> {
    const { prefix, offset } = layout(spec);
    let pos = Math.max(0, start);
    const stop = Math.min(end, spec.size);
    if (pos < PREFIX_BYTES && pos < stop) {
      const until = Math.min(PREFIX_BYTES, stop);
      yield prefix.subarray(pos, until);
      pos = until;
    }
    // Bounded: every pass advances pos by at least one byte.
    while (pos < stop) {
      const at = (pos - PREFIX_BYTES + offset) % poolBytes;
      const len = Math.min(stop - pos, poolBytes - at, CHUNK_BYTES);
      yield pool.subarray(at, at + len);
      pos += len;
    }
  }

  function bytes(spec: BlobSpec, start = 0, end = spec.size): Buffer {
    return Buffer.concat([...chunks(spec, start, end)]);
  }

  function matches(spec: BlobSpec, start: number, body: Buffer): boolean {
    if (start + body.length > spec.size) return false;
    let at = 0;
    for (const chunk of chunks(spec, start, start + body.length)) {
      if (!chunk.equals(body.subarray(at, at + chunk.length))) return false;
      at += chunk.length;
    }
    return at === body.length;
  }

  function digest(spec: BlobSpec): string {
    const key = `${spec.id}\0${spec.size}`;
    const known = digests.get(key);
    if (known !== undefined) return known;
    const hash = createHash('sha256');
    for (const chunk of chunks(spec)) hash.update(chunk);
    const value = `sha256:${hash.digest('hex')}`;
    digests.set(key, value);
    return value;
  }

  return { chunks, bytes, matches, digest };
}

/** `sha256:<hex>` of a buffer. */
export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/**
 * A small deterministic PRNG (mulberry32), so both registries see the same
 * sequence of ranges and operation choices.
 */
export function createRng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
