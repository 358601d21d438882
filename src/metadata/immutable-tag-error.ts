/**
 * The typed refusal of the metadata store when a write would move or remove
 * an immutable tag (`registry.immutableTags`). The store decides inside the
 * write's transaction, so it holds against concurrent pushes; the registry
 * maps it to 403 `DENIED` with a detail naming the tag and its rule.
 */

/** What the refused write would have done to the tag. */
export type ImmutableTagChange = 'move' | 'delete';

/**
 * Thrown by `putManifest` (a tag in `immutableTags` points at another
 * digest) and `deleteManifest` (a protected tag points at the manifest).
 * Nothing was written: the transaction rolled back.
 *
 * @example
 * try { await store.putManifest(input); }
 * catch (err) { if (err instanceof ImmutableTagError) throw new RegistryError('TAG_IMMUTABLE', { tag: err.tag }); }
 */
export class ImmutableTagError extends Error {
  constructor(
    readonly repo: string,
    readonly tag: string,
    /** The digest the tag points at (and keeps pointing at). */
    readonly digest: string,
    readonly change: ImmutableTagChange,
  ) {
    super(`tag "${tag}" of ${repo} is immutable: it points at ${digest} and cannot ${change === 'move' ? 'be moved' : 'be deleted'}`);
    this.name = 'ImmutableTagError';
  }
}
