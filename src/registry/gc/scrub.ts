/**
 * `berth scrub`: verifies every stored blob, and every manifest's bytes kept
 * by the metadata store, against its digest.
 *
 * Each file under `blobs/` is streamed through a hasher (never buffered,
 * whatever its size). A file whose bytes do not hash to the digest in its
 * path is corrupt; with `quarantine`, it is moved to `quarantine/…` and its
 * blob record (and links) are dropped, so clients get 404 BLOB_UNKNOWN and
 * can push the blob again, rather than bad bytes. Manifests whose own bytes
 * are corrupt keep their records (their tags would go with them): re-push
 * them. Manifest bytes kept with their records are checked the same way and
 * reported with their repository; quarantine leaves them (re-push them).
 */
import type { Logger } from 'pino';
import { createDigester, digestOf, parseDigest, type Digest } from '../../oci/digest.js';
import type { MetadataStore } from '../../metadata/store.js';
import type { StorageDriver } from '../../storage/driver.js';
import { BLOBS_ROOT, blobDigestFromPath, quarantinePath } from '../../storage/paths.js';

export interface ScrubDeps {
  storage: StorageDriver;
  metadata: MetadataStore;
  logger: Logger;
}

export interface ScrubOptions {
  quarantine?: boolean;
  /** Called every 100 files and at the end. */
  onProgress?: (progress: { checked: number; bytes: number; corrupt: number }) => void;
  signal?: AbortSignal;
}

/** One corrupt blob. */
export interface CorruptBlob {
  digest: string;
  path: string;
  size: number;
  /** What the bytes hash to. */
  actual: string;
  /** Where it went, when quarantined. */
  quarantinedTo?: string;
  /** True when a manifest record has this digest (its record is kept). */
  manifest: boolean;
  /** For manifest bytes kept by the metadata store: the repository whose record holds them. */
  repository?: string;
}

export interface ScrubReport {
  checked: number;
  bytes: number;
  corrupt: CorruptBlob[];
  /** Files under `blobs/` that are not blob paths. */
  foreignFiles: string[];
}

/** The digest of a stored file, streamed. */
async function hashFile(storage: StorageDriver, path: string, digest: Digest, signal?: AbortSignal): Promise<string> {
  const hash = createDigester(digest.algorithm);
  const stream = await storage.reader(path, signal === undefined ? {} : { signal });
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return `${digest.algorithm}:${hash.digest('hex')}`;
}

/**
 * Verifies every blob; see the module comment for what quarantine does.
 *
 * @example
 * const report = await scrubBlobs({ storage, metadata, logger }, { quarantine: true });
 */
export async function scrubBlobs(deps: ScrubDeps, options: ScrubOptions = {}): Promise<ScrubReport> {
  const { storage, metadata } = deps;
  const logger = deps.logger.child({ component: 'scrub' });
  const report: ScrubReport = { checked: 0, bytes: 0, corrupt: [], foreignFiles: [] };
  const progress = (): void =>
    options.onProgress?.({ checked: report.checked, bytes: report.bytes, corrupt: report.corrupt.length });
  const paths: string[] = [];
  for await (const path of storage.list(BLOBS_ROOT)) paths.push(path);
  for (const path of paths.sort()) {
    options.signal?.throwIfAborted();
    const digest = blobDigestFromPath(path);
    if (digest === undefined) {
      report.foreignFiles.push(path);
      continue;
    }
    const before = await storage.stat(path);
    if (before === undefined) continue; // collected meanwhile
    const actual = await hashFile(storage, path, digest, options.signal);
    report.checked++;
    report.bytes += before.size;
    if (actual !== digest.value) {
      const corrupt: CorruptBlob = {
        digest: digest.value,
        path,
        size: before.size,
        actual,
        manifest: (await metadata.blobReferenceCount(digest.value)) > 0 && (await isManifest(metadata, digest.value)),
      };
      logger.error({ digest: digest.value, actual, path }, 'stored blob does not match its digest');
      if (options.quarantine === true) await quarantine(deps, digest, path, before, corrupt);
      report.corrupt.push(corrupt);
    }
    if (report.checked % 100 === 0) progress();
  }
  await scrubManifestBodies(deps, report, options, progress);
  progress();
  return report;
}

/** Checks the manifest bytes the metadata store keeps, repository by repository. */
async function scrubManifestBodies(
  deps: ScrubDeps,
  report: ScrubReport,
  options: ScrubOptions,
  progress: () => void,
): Promise<void> {
  const { metadata } = deps;
  for (let lastRepo: string | undefined; ; ) {
    const repos = await metadata.listRepositories(lastRepo === undefined ? { limit: 500 } : { last: lastRepo, limit: 500 });
    for (const repo of repos.items) {
      for (let last: string | undefined; ; ) {
        const page = await metadata.listManifests(repo, last === undefined ? { limit: 500 } : { last, limit: 500 });
        for (const listing of page.items) {
          options.signal?.throwIfAborted();
          const body = await metadata.getManifestBody(repo, listing.digest);
          if (body === undefined) continue; // older record: its bytes are a blob, checked above
          const actual = digestOf(body, parseDigest(listing.digest).algorithm);
          report.checked++;
          report.bytes += body.byteLength;
          if (actual !== listing.digest) {
            deps.logger.error({ repo, digest: listing.digest, actual }, 'stored manifest bytes do not match their digest');
            const path = `metadata:${repo}@${listing.digest}`;
            report.corrupt.push({ digest: listing.digest, path, size: body.byteLength, actual, manifest: true, repository: repo });
          }
          if (report.checked % 100 === 0) progress();
        }
        last = page.items.at(-1)?.digest;
        if (!page.more || last === undefined) break;
      }
    }
    lastRepo = repos.items.at(-1);
    if (!repos.more || lastRepo === undefined) break;
  }
}

/** True when some repository holds a manifest with this digest. */
async function isManifest(metadata: MetadataStore, digest: string): Promise<boolean> {
  for (let last: string | undefined; ;) {
    const page = await metadata.listRepositories(last === undefined ? { limit: 500 } : { last, limit: 500 });
    for (const repo of page.items) if ((await metadata.getManifest(repo, digest)) !== undefined) return true;
    last = page.items.at(-1);
    if (!page.more || last === undefined) return false;
  }
}

async function quarantine(
  deps: ScrubDeps,
  digest: Digest,
  path: string,
  before: { size: number; modifiedAt: Date },
  corrupt: CorruptBlob,
): Promise<void> {
  // A push that stored good bytes meanwhile replaced the file: leave it.
  const now = await deps.storage.stat(path);
  if (now === undefined || now.size !== before.size || now.modifiedAt.getTime() !== before.modifiedAt.getTime()) return;
  const to = quarantinePath(digest);
  await deps.storage.move(path, to);
  corrupt.quarantinedTo = to;
  if (!corrupt.manifest) await deps.metadata.deleteBlobRecord(digest.value);
}
