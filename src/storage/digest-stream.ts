/**
 * Streams bytes into a storage writer while hashing them, so a blob's digest
 * is known the moment its last byte is written (conventions: "Stream").
 */
import type { Hash } from 'node:crypto';
import { createDigester, type DigestAlgorithm } from '../oci/digest.js';
import { RegistryError } from '../oci/errors.js';
import type { StorageWriter } from './driver.js';
import { asError } from './errno.js';

export interface CopyVerifiedOptions {
  /** Algorithms to hash this call's bytes with; `digests` has one entry per algorithm. */
  algorithms: DigestAlgorithm[];
  /**
   * Most bytes this call may copy (a resumed upload passes the limit minus
   * its offset). Unlimited when omitted.
   */
  maxBytes?: number;
  /** Aborting stops the copy promptly, even while waiting for the source. */
  signal?: AbortSignal;
  /**
   * Caller-owned hashers to continue (a chunked upload hashing across
   * requests), updated with every byte besides the `algorithms` ones. They
   * are never finalized and appear in no result: the caller digests them.
   */
  hashers?: Hash[];
}

export interface CopyVerifiedResult {
  /** Bytes copied by this call. */
  bytes: number;
  /** algorithm → `algorithm:hex` of this call's bytes, for each of `algorithms`. */
  digests: Record<string, string>;
}

/**
 * Copies `source` into `writer`, updating a fresh hasher per algorithm and
 * every caller hasher, chunk by chunk, awaiting each `writer.write`
 * (backpressure). It never commits or cancels: the caller compares the
 * digests and does one or the other. After a throw, the writer and the
 * hashers hold an unknown prefix: cancel, and drop the hashers.
 *
 * @throws RegistryError `BLOB_TOO_LARGE` before writing a chunk that would
 *   take this call beyond `maxBytes`.
 * @throws the signal's reason (an `AbortError` by default) when it aborts.
 * @throws whatever the source or the writer throws.
 * @example
 * const writer = await driver.writer(uploadDataPath(id), { append: false });
 * const { digests } = await copyVerified(request.raw, writer, { algorithms: ['sha256'], signal });
 * if (digests.sha256 === expected) await writer.commit(); else await writer.cancel();
 */
export async function copyVerified(
  source: AsyncIterable<Uint8Array>,
  writer: StorageWriter,
  options: CopyVerifiedOptions,
): Promise<CopyVerifiedResult> {
  const { algorithms, maxBytes, signal } = options;
  const own = algorithms.map((algorithm) => createDigester(algorithm));
  const hashers = [...own, ...(options.hashers ?? [])];

  const iterator = source[Symbol.asyncIterator]();
  let bytes = 0;
  let done = false;
  let reading = false;
  try {
    for (;;) {
      signal?.throwIfAborted();
      reading = true;
      const step = await (signal === undefined ? iterator.next() : raceAbort(iterator.next(), signal));
      reading = false;
      if (step.done === true) {
        done = true;
        break;
      }
      const chunk = step.value;
      if (maxBytes !== undefined && bytes + chunk.length > maxBytes) {
        throw new RegistryError('BLOB_TOO_LARGE', `more than the ${maxBytes} bytes allowed`);
      }
      for (const hasher of hashers) hasher.update(chunk);
      await writer.write(chunk);
      bytes += chunk.length;
    }
  } finally {
    // Close the source early, as `for await` would. With a read still pending
    // (an abort won the race) return() queues behind that read, even for a
    // Readable, so a stream is destroyed directly and return() is not awaited.
    if (!done) {
      if (reading && isDestroyable(source)) source.destroy();
      const closing = iterator.return?.().catch(ignore);
      if (!reading) await closing;
    }
  }

  const digests: Record<string, string> = {};
  algorithms.forEach((algorithm, i) => {
    digests[algorithm] = `${algorithm}:${own[i]?.digest('hex') ?? ''}`;
  });
  return { bytes, digests };
}

/**
 * Settles like `promise`, or rejects with the signal's reason if it aborts
 * first. The listener lives for one chunk only, so a long copy does not pile
 * up reactions on one long-lived promise.
 */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortReason(signal));
    // The source may have aborted the signal while producing this chunk.
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    const settle = (): void => signal.removeEventListener('abort', onAbort);
    void promise.then(
      (value) => {
        settle();
        resolve(value);
      },
      (err: unknown) => {
        settle();
        reject(asError(err));
      },
    );
  });
}

function isDestroyable(value: object): value is { destroy(): void } {
  return typeof (value as { destroy?: unknown }).destroy === 'function';
}

function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new DOMException('The operation was aborted', 'AbortError');
}

function ignore(): void {}
