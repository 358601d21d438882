/**
 * Streams bytes into a storage writer while hashing them, so a blob's digest
 * is known the moment its last byte is written (conventions: "Stream").
 */
import type { DigestAlgorithm } from '../oci/digest.js';
import { RegistryError } from '../oci/errors.js';
import type { RecyclableChunks, StorageWriter } from './driver.js';
import { asError } from './errno.js';
import { inlineDigester, type Digester, type DigesterFactory } from './digester.js';

export interface CopyVerifiedOptions {
  /** Algorithms to hash this call's bytes with; `digests` has one entry per algorithm. */
  algorithms: DigestAlgorithm[];
  /** Makes the `algorithms` digesters (hash-workers.ts); in-process hashing when omitted. */
  digesters?: DigesterFactory;
  /** How many bytes the source holds, when known (the factory may hash small inputs in process). */
  expectedBytes?: number;
  /**
   * Most bytes this call may copy (a resumed upload passes the limit minus
   * its offset). Unlimited when omitted.
   */
  maxBytes?: number;
  /** Aborting stops the copy promptly, even while waiting for the source. */
  signal?: AbortSignal;
  /**
   * Caller-owned digesters to continue (a chunked upload hashing across
   * requests), updated with every byte besides the `algorithms` ones and
   * flushed at the end. They are never ended and appear in no result: the
   * caller digests or discards them.
   */
  hashers?: Digester[];
}

export interface CopyVerifiedResult {
  /** Bytes copied by this call. */
  bytes: number;
  /** algorithm → `algorithm:hex` of this call's bytes, for each of `algorithms`. */
  digests: Record<string, string>;
}

/**
 * Copies `source` into `writer`, updating a fresh digester per algorithm and
 * every caller digester, chunk by chunk, awaiting each `writer.write` and any
 * digester that is behind (backpressure). A source that offers `recycle`
 * gets each chunk back once the writer and the digesters are done with it:
 * when `write()` resolved on a writer that `copiesChunks` (digesters are done
 * when `update` returns). It never commits or cancels: the
 * caller compares the digests and does one or the other. After a throw, the
 * writer and the caller's digesters hold an unknown prefix: cancel, and
 * discard the digesters.
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
  source: AsyncIterable<Uint8Array> & Partial<RecyclableChunks>,
  writer: StorageWriter,
  options: CopyVerifiedOptions,
): Promise<CopyVerifiedResult> {
  const { algorithms, maxBytes, signal } = options;
  const make = options.digesters ?? inlineDigester;
  const own = algorithms.map((algorithm) => make(algorithm, options.expectedBytes));
  const hashers = [...own, ...(options.hashers ?? [])];
  const recycle = writer.copiesChunks ? source.recycle?.bind(source) : undefined;

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
      const length = chunk.length; // (recycling may empty the chunk)
      if (maxBytes !== undefined && bytes + length > maxBytes) {
        throw new RegistryError('BLOB_TOO_LARGE', `more than the ${maxBytes} bytes allowed`);
      }
      let behind: Promise<void>[] | undefined;
      for (const hasher of hashers) {
        const wait = hasher.update(chunk);
        if (wait !== undefined) (behind ??= []).push(wait);
      }
      await writer.write(chunk);
      recycle?.(chunk);
      if (behind !== undefined) await Promise.all(behind);
      bytes += length;
    }
    for (const hasher of hashers) hasher.flush();
  } catch (err) {
    for (const digester of own) digester.discard();
    throw err;
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

  const hex = await Promise.all(own.map((digester) => digester.digest()));
  const digests: Record<string, string> = {};
  algorithms.forEach((algorithm, i) => {
    digests[algorithm] = `${algorithm}:${hex[i] ?? ''}`;
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
