/**
 * Deleting a manifest GC or retention decided nothing needs, with its
 * `delete` event, in one store transaction that re-checks the decision.
 */
import type { MetadataStore } from '../../metadata/store.js';
import type { EventRecorder } from '../event-recorder.js';
import type { ManifestNode } from './repository-snapshot.js';

/**
 * @returns false when the store refused because the manifest became
 *   referenced (tagged, a child, a kept subject's referrer) since the plan.
 * @example
 * if (!(await deleteUnreferenced(deps, repo, digest, snapshot.manifests.get(digest)))) refused++;
 */
export async function deleteUnreferenced(
  deps: { metadata: MetadataStore; events: EventRecorder },
  repo: string,
  digest: string,
  node: ManifestNode | undefined,
): Promise<boolean> {
  const target = {
    digest,
    mediaType: node?.mediaType ?? '',
    size: node?.size ?? 0,
    artifactType: node?.artifactType ?? null,
  };
  const events = deps.events.eventsFor({ action: 'delete', repo, target });
  return (await deps.metadata.deleteUnreferencedManifest(repo, digest, events)) !== undefined;
}
