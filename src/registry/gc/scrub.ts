/**
 * `berth scrub`: verifies every stored blob against its digest.
 *
 * Each file under `blobs/` is streamed through a hasher (never buffered,
 * whatever its size). A file whose bytes do not hash to the digest in its
 * path is corrupt; with `quarantine`, it is moved to `quarantine/…` and its
 * blob record (and links) are dropped, so clients get 404 BLOB_UNKNOWN and
 * can push the blob again, rather than bad bytes. Manifests whose own bytes
 * are corrupt keep their records (their tags would go with them): re-push
 * them. The report says which repositories hold each corrupt digest.
 */
import type { Logger } from 'pino';
import { createDigester, type Digest } from '../../oci/digest.js';
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
  progress();
  return report;
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
