/**
 * Streaming hashers for blob bytes. One interface, two implementations: in
 * this thread (here) and on worker threads (hash-workers.ts), which take the
 * hashing off the event loop. Both pass conformance/digester-suite.ts.
 */
import type { Hash } from 'node:crypto';
import { createDigester, type DigestAlgorithm } from '../oci/digest.js';

/**
 * Hashes bytes added in order. Once `digest()` or `discard()` was called,
 * every other call throws.
 */
export interface Digester {
  /**
   * Adds `chunk`'s bytes. The caller may reuse or recycle the chunk as soon
   * as this returns. A returned promise means the hasher is behind: await it
   * before adding more (backpressure); it never rejects.
   */
  update(chunk: Uint8Array): Promise<void> | undefined;
  /** An independent digester that starts from the bytes added so far. */
  copy(): Digester;
  /** Hands buffered bytes on to the hasher; call when the input pauses (the end of a request). */
  flush(): void;
  /**
   * The lowercase hex digest of every byte added; ends this digester.
   * @throws Error when the hashing thread stopped (its state is lost).
   */
  digest(): Promise<string>;
  /** Ends this digester without a digest, releasing what it holds. Idempotent. */
  discard(): void;
}

/**
 * Makes digesters. `expectedBytes`, when known, is how many bytes the digester
 * will see: a factory may hash small inputs in this thread.
 */
export type DigesterFactory = (algorithm: DigestAlgorithm, expectedBytes?: number) => Digester;

/**
 * A digester that hashes in this thread, synchronously in `update`.
 *
 * @example
 * const d = inlineDigester('sha256');
 * d.update(Buffer.from('abc'));
 * const hex = await d.digest();
 */
export const inlineDigester: DigesterFactory = (algorithm) => new InlineDigester(createDigester(algorithm));

class InlineDigester implements Digester {
  private ended = false;

  constructor(private readonly hash: Hash) {}

  update(chunk: Uint8Array): undefined {
    this.check();
    this.hash.update(chunk);
    return undefined;
  }

  copy(): Digester {
    this.check();
    return new InlineDigester(this.hash.copy());
  }

  flush(): void {
    this.check();
  }

  digest(): Promise<string> {
    this.check();
    this.ended = true;
    return Promise.resolve(this.hash.digest('hex'));
  }

  discard(): void {
    this.ended = true;
  }

  private check(): void {
    if (this.ended) throw new Error('digester already ended');
  }
}
