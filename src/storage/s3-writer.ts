/**
 * The S3 driver's streaming writer and the multipart helpers it shares with
 * `move`. See `s3-driver.ts` for the driver itself.
 *
 * A writer buffers up to one part in memory, sends each full part with
 * UploadPart as soon as it fills, and completes the multipart upload on
 * `commit()`, so the object appears at once, whole, and only then. A writer
 * that never fills a part ends with one PutObject instead (also atomic).
 *
 * Appending to an existing object (a resumed upload) cannot modify it in
 * place: S3 objects are immutable. The new object is assembled from the old
 * bytes plus the new ones and replaces the old one at commit:
 * - old object ≥ 5 MiB (the minimum size of a non-final part): its bytes
 *   become the first part(s) by UploadPartCopy, a server-side copy that does
 *   not pass through berth. The copy is conditional on the ETag seen when
 *   the writer opened, so a concurrent replacement fails the commit rather
 *   than mixing two files.
 * - old object < 5 MiB: it is too small to be a part of its own, so its
 *   bytes are downloaded when the writer opens (at most 5 MiB, also
 *   conditional on the ETag) and start the first part.
 * Either way, every commit of an appending writer rewrites the whole object
 * on the server: resuming an N-byte upload costs a copy of N bytes.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { StorageWriter } from './driver.js';
import { WriterGate } from './writer-gate.js';

/** S3's smallest part, except the last one. */
export const MIN_PART_SIZE = 5 * 1024 * 1024;
/** S3's largest part, and the largest object CopyObject can copy in one call. */
export const MAX_PART_SIZE = 5 * 1024 * 1024 * 1024;
/** S3's limit on parts per multipart upload. */
export const MAX_PARTS = 10_000;

/** Where a writer writes. */
export interface S3Target {
  readonly client: S3Client;
  readonly bucket: string;
  readonly key: string;
}

/** The object a writer continues (append), if any. */
export interface AppendBase {
  /** Size of the existing object, 0 when there is none. */
  readonly size: number;
  /** ETag of the existing object; undefined when there is none. */
  readonly etag: string | undefined;
  /** Its bytes, when it is below {@link MIN_PART_SIZE} and was downloaded. */
  readonly bytes?: Buffer;
}

/** No existing object: the writer creates or replaces one. */
export const NO_BASE: AppendBase = { size: 0, etag: undefined };

/** The `CopySource` value of an object: URL-encoded `bucket/key`. */
export function copySource(bucket: string, key: string): string {
  return [bucket, ...key.split('/')].map(encodeURIComponent).join('/');
}

/**
 * Copies `size` bytes of a source object into parts `firstPart...` of an open
 * multipart upload, in ranges of at most 5 GiB and at least 5 MiB (ranges are
 * balanced, so none is a runt). Returns the completed parts in order.
 */
export async function copyIntoParts(
  target: S3Target,
  uploadId: string,
  source: { key: string; size: number; etag: string | undefined },
  firstPart: number,
  signal?: AbortSignal,
  maxPart = MAX_PART_SIZE,
): Promise<CompletedPart[]> {
  const parts: CompletedPart[] = [];
  for (const [index, [start, end]] of copyRanges(source.size, maxPart).entries()) {
    const PartNumber = firstPart + index;
    const result = await target.client.send(
      new UploadPartCopyCommand({
        Bucket: target.bucket,
        Key: target.key,
        UploadId: uploadId,
        PartNumber,
        CopySource: copySource(target.bucket, source.key),
        CopySourceRange: `bytes=${start}-${end}`,
        ...(source.etag === undefined ? {} : { CopySourceIfMatch: source.etag }),
      }),
      signal === undefined ? {} : { abortSignal: signal },
    );
    parts.push({ PartNumber, ETag: result.CopyPartResult?.ETag });
  }
  // CopySourceIfMatch guards this on AWS, but Ceph 16 ignores it: check the
  // source afterwards. Same ETag now means the ranges came from that version
  // (a version seen again after a replacement would need identical bytes).
  if (source.etag !== undefined) {
    const now = await target.client
      .send(
        new HeadObjectCommand({ Bucket: target.bucket, Key: source.key }),
        signal === undefined ? {} : { abortSignal: signal },
      )
      .catch((err: unknown) => {
        if (isNotFound(err)) return undefined;
        throw err;
      });
    if (now?.ETag !== source.etag) {
      throw new Error(
        `S3 object ${source.key} changed while it was being copied (ETag ${source.etag} → ${now?.ETag ?? 'deleted'})`,
      );
    }
  }
  return parts;
}

/**
 * Splits `size` bytes into the fewest inclusive `[first, last]` ranges of at
 * most `maxPart` bytes, of (nearly) equal length, so that none is smaller
 * than it must be. Empty for size 0.
 */
export function copyRanges(size: number, maxPart = MAX_PART_SIZE): [number, number][] {
  const count = Math.ceil(size / maxPart);
  const step = Math.ceil(size / count);
  const ranges: [number, number][] = [];
  for (let start = 0; start < size; start += step) ranges.push([start, Math.min(size, start + step) - 1]);
  return ranges;
}

/** Completes a multipart upload, or aborts it when completing fails. */
export async function completeOrAbort(target: S3Target, uploadId: string, parts: CompletedPart[]): Promise<void> {
  try {
    await target.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: target.bucket,
        Key: target.key,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
  } catch (err) {
    await abortUpload(target, uploadId);
    throw err;
  }
}

/** Aborts a multipart upload; best effort (an upload already gone is fine). */
export async function abortUpload(target: S3Target, uploadId: string): Promise<void> {
  await target.client
    .send(new AbortMultipartUploadCommand({ Bucket: target.bucket, Key: target.key, UploadId: uploadId }))
    .catch(() => undefined);
}

/**
 * Creates a writer; see the module comment. `base` is the object being
 * appended to ({@link NO_BASE} to create or replace). When `base.bytes` is
 * set they are re-uploaded; otherwise a non-empty base is copied server-side.
 * Nothing is sent to S3 until a part fills or `commit()` is called.
 */
export function createS3Writer(target: S3Target, partSize: number, base: AppendBase): StorageWriter {
  const { client, bucket, key } = target;
  const copyBase = base.size > 0 && base.bytes === undefined;
  const controller = new AbortController();
  const opts = { abortSignal: controller.signal };

  let pending: Buffer[] = base.bytes === undefined || base.bytes.length === 0 ? [] : [base.bytes];
  let pendingBytes = base.bytes?.length ?? 0;
  let size = base.size;
  let written = 0;
  let uploadId: string | undefined;
  const parts: CompletedPart[] = [];

  /** Removes and returns the first `n` pending bytes as one buffer. */
  const take = (n: number): Buffer => {
    const out: Buffer[] = [];
    let need = n;
    while (need > 0) {
      const head = pending[0];
      if (head === undefined) break;
      if (head.length <= need) {
        out.push(head);
        pending.shift();
        need -= head.length;
      } else {
        out.push(head.subarray(0, need));
        pending[0] = head.subarray(need);
        need = 0;
      }
    }
    pendingBytes -= n - need;
    return out.length === 1 && out[0] !== undefined ? out[0] : Buffer.concat(out, n - need);
  };

  /** Opens the multipart upload on first need; an append copies the old object in first. */
  const ensureUpload = async (): Promise<string> => {
    if (uploadId !== undefined) return uploadId;
    const created = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }), opts);
    if (created.UploadId === undefined) throw new Error(`S3 returned no UploadId for ${key}`);
    uploadId = created.UploadId;
    if (copyBase)
      parts.push(
        ...(await copyIntoParts(target, uploadId, { key, size: base.size, etag: base.etag }, 1, controller.signal)),
      );
    return uploadId;
  };

  const uploadPart = async (body: Buffer): Promise<void> => {
    const id = await ensureUpload();
    const PartNumber = parts.length + 1;
    if (PartNumber > MAX_PARTS) {
      throw new Error(`S3 object ${key} would need more than ${MAX_PARTS} parts; raise the driver's partSize`);
    }
    const result = await client.send(
      new UploadPartCommand({
        Bucket: bucket,
        Key: key,
        UploadId: id,
        PartNumber,
        Body: body,
        ContentLength: body.length,
      }),
      opts,
    );
    parts.push({ PartNumber, ETag: result.ETag });
  };

  const gate = new WriterGate();

  return gate.writer({
    size: () => size,
    copiesChunks: true,

    async write(chunk) {
      if (chunk.length === 0) return;
      // Copied: the caller may reuse its buffer once write() resolves.
      pending.push(Buffer.from(chunk));
      pendingBytes += chunk.length;
      size += chunk.length;
      written += chunk.length;
      while (pendingBytes >= partSize) await uploadPart(take(partSize));
    },

    async commit() {
      // Appending nothing leaves the existing object as it is.
      if (base.etag !== undefined && written === 0) return;
      if (uploadId === undefined && !copyBase) {
        const body = take(pendingBytes);
        await client.send(
          new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: body.length }),
          opts,
        );
        return;
      }
      if (pendingBytes > 0 || uploadId === undefined) await uploadPart(take(pendingBytes));
      if (uploadId === undefined) throw new Error('unreachable: multipart upload not opened');
      await completeOrAbort(target, uploadId, parts);
    },

    async cancel() {
      pending = [];
      pendingBytes = 0;
      controller.abort();
      // Let an in-flight request settle first, so no part lands after the abort.
      await gate.running?.catch(() => undefined);
      if (uploadId !== undefined) await abortUpload(target, uploadId);
    },

    // Only cancel() may follow a failure, so release the parts then: a caller
    // that drops a failed writer must not leave an upload behind.
    async failed() {
      if (uploadId !== undefined) await abortUpload(target, uploadId);
    },
  });
}

/** The HTTP status of an SDK error, when it has one. */
export function httpStatus(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const meta = (err as { $metadata?: { httpStatusCode?: unknown } }).$metadata;
  return typeof meta?.httpStatusCode === 'number' ? meta.httpStatusCode : undefined;
}

/** NoSuchKey (GET), NotFound (HEAD, no body), or a bare 404 that is not a missing bucket. */
export function isNotFound(err: unknown): boolean {
  const name = err instanceof Error ? err.name : undefined;
  if (name === 'NoSuchKey' || name === 'NotFound') return true;
  return httpStatus(err) === 404 && name !== 'NoSuchBucket';
}
