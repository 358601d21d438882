/**
 * Deleting the bytes of one blob while pushes go on.
 *
 * Bytes are written before the metadata transaction that references them
 * (design.md, "Write order"), and a push that finds the bytes already
 * stored links them without writing. So "unreferenced" read once is not
 * enough: a push may be between its bytes and its link. The protocol:
 *
 * 1. Check `blobReferenceCount` is 0.
 * 2. Park the file at `gc-trash/…` (a move). From now on a push looking
 *    for the bytes finds none and writes (or moves) its own.
 * 3. Check again: a reference committed since, or an open upload session
 *    holding exactly this many bytes (an upload completing: it moves its
 *    data into place before it links, and deletes its session only after),
 *    means someone wants the bytes: move them back. Otherwise delete them.
 *
 * A push that re-used the bytes and linked them after step 3 finds them
 * missing when it checks after its commit and stores them again (manifest
 * pushes) or refuses (mounts); see `manifest-service.ts`, `blob-service.ts`.
 * The cost: for the moment between 2 and 3 the blob reads as missing.
 */
import type { Digest } from '../../oci/digest.js';
import { isStorageNotFound, type StorageDriver } from '../../storage/driver.js';
import { blobDigestFromPath, blobPath, gcTrashPath, GC_TRASH_ROOT } from '../../storage/paths.js';
import type { MetadataStore } from '../../metadata/store.js';

export type ReclaimOutcome = 'freed' | 'in-use' | 'missing';

export interface ReclaimDeps {
  storage: StorageDriver;
  metadata: Pick<MetadataStore, 'blobReferenceCount' | 'hasUploadOfSize'>;
}

/**
 * Deletes a blob's bytes unless something references (or is about to
 * reference) them; see the protocol above. Idempotent.
 *
 * @returns `freed` when deleted, `in-use` when kept, `missing` when there were no bytes.
 */
export async function reclaimBlob(deps: ReclaimDeps, digest: Digest): Promise<ReclaimOutcome> {
  const { storage, metadata } = deps;
  if ((await metadata.blobReferenceCount(digest.value)) > 0) return 'in-use';
  const path = blobPath(digest);
  const trash = gcTrashPath(digest);
  const info = await storage.stat(path);
  if (info === undefined) return 'missing';
  try {
    await storage.move(path, trash);
  } catch (err) {
    if (isStorageNotFound(err)) return 'missing';
    throw err;
  }
  let wanted = true;
  try {
    wanted = (await metadata.blobReferenceCount(digest.value)) > 0 || (await metadata.hasUploadOfSize(info.size));
  } finally {
    // On any error, put the bytes back: never lose what we could not check.
    if (wanted) await storage.move(trash, path);
  }
  if (wanted) return 'in-use';
  await storage.delete(trash);
  return 'freed';
}

/**
 * Settles blobs a crashed run left in `gc-trash/`: referenced ones go back,
 * the rest are deleted. Run before a collection.
 *
 * @returns how many were restored and deleted.
 */
export async function settleTrash(deps: ReclaimDeps): Promise<{ restored: number; deleted: number }> {
  const parked: string[] = [];
  for await (const path of deps.storage.list(GC_TRASH_ROOT)) parked.push(path);
  let restored = 0;
  let deleted = 0;
  for (const path of parked) {
    const [, algorithm = '', encoded = ''] = path.split('/');
    const digest = blobDigestFromPath(`blobs/${algorithm}/${encoded.slice(0, 2)}/${encoded}`);
    if (digest === undefined || (await deps.metadata.blobReferenceCount(digest.value)) === 0) {
      await deps.storage.delete(path);
      deleted++;
    } else {
      await deps.storage.move(path, blobPath(digest));
      restored++;
    }
  }
  return { restored, deleted };
}
