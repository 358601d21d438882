/**
 * Deleting a subject's referrers with it (`registry.deleteReferrersWithSubject`).
 *
 * With the option off, referrers of a deleted subject stay (listable by the
 * subject's digest) until GC (`gc.deleteOrphanReferrers`) or a retention
 * rule (`dropOrphanSignatures`) removes them.
 *
 * A referrer an immutable tag points at stays (and so do its own referrers).
 */
import { ImmutableTagError } from '../../metadata/immutable-tag-error.js';
import type { DeleteManifestGuard, MetadataStore } from '../../metadata/store.js';
import type { EventRecorder } from '../event-recorder.js';
import { walkPages } from './walk.js';

/**
 * Deletes every manifest of `repo` whose subject is `subject`, and their
 * referrers in turn (a signature of an SBOM of an image), each with its
 * tags and a delete event. Safe to call when there are none. With `guard`,
 * a referrer holding a protected (immutable) tag is kept, with its referrers.
 *
 * @returns the digests deleted, subjects before their referrers.
 * @example
 * await deleteReferrersOf({ metadata, events }, 'apps/web', deletedDigest);
 */
export async function deleteReferrersOf(
  deps: { metadata: MetadataStore; events: EventRecorder },
  repo: string,
  subject: string,
  guard?: DeleteManifestGuard,
): Promise<string[]> {
  const { metadata } = deps;
  const deleted: string[] = [];
  const seen = new Set([subject]);
  const queue = [subject];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    const current = next;
    const referrers: string[] = [];
    for await (const r of walkPages(
      (page) => metadata.listReferrers(repo, current, page),
      (x) => x.digest,
    )) {
      referrers.push(r.digest);
    }
    for (const digest of referrers) {
      if (seen.has(digest)) continue;
      seen.add(digest);
      const record = await metadata.getManifest(repo, digest);
      if (record === undefined) continue;
      const events = deps.events.eventsFor({
        action: 'delete',
        repo,
        target: { digest, mediaType: record.mediaType, size: record.size, artifactType: record.artifactType },
      });
      const removed = await metadata.deleteManifest(repo, digest, events, guard).catch((err: unknown) => {
        if (err instanceof ImmutableTagError) return undefined; // kept: an immutable tag points at it
        throw err;
      });
      if (removed === undefined) continue;
      deleted.push(digest);
      queue.push(digest);
    }
  }
  return deleted;
}
