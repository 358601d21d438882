/**
 * The metadata store contract: where references live.
 *
 * It records which repositories exist, which blobs and manifests each
 * repository holds, where each tag points, which manifests refer to which
 * subject, each manifest's artifact type, open upload sessions and the event
 * outbox. SQLite and PostgreSQL implement it over one schema and one
 * migration set (`sql-store.ts`); both run `conformance/metadata-store-suite.ts`.
 *
 * Every mutating method is one transaction: a manifest record, its links,
 * its tags, its referrer row and its outbox events commit together or not at
 * all. Times are epoch milliseconds supplied by the caller (an injected
 * clock), never read inside the store.
 */
export { ImmutableTagError } from './immutable-tag-error.js';

/** A page request over a lexically ordered list (`n`/`last` pagination). */
export interface PageRequest {
  /** Return names strictly after this one. */
  last?: string;
  /** At most this many. Undefined: all. */
  limit?: number;
}

/** One page of a list and whether more follow. */
export interface Page<T> {
  items: T[];
  /** True when at least one more item exists after the last returned. */
  more: boolean;
}

/** A blob known to the registry (bytes stored once, whatever the repository). */
export interface BlobRecord {
  digest: string;
  size: number;
  createdAt: number;
}

/** A manifest held by one repository. */
export interface ManifestRecord {
  repo: string;
  digest: string;
  /** The manifest's own media type (`Content-Type` it was pushed with). */
  mediaType: string;
  /** Bytes of the manifest itself. */
  size: number;
  /**
   * The identified artifact type (a media type: `artifactType`, else
   * `config.mediaType`, else the manifest's media type for an index of images).
   * Null only when nothing identifies it.
   */
  artifactType: string | null;
  /** `artifactType` field exactly as pushed (referrers need the raw value), else null. */
  rawArtifactType: string | null;
  /** `config.mediaType` for an image manifest, else null. */
  configMediaType: string | null;
  /** Digest in the `subject` field, else null. */
  subject: string | null;
  /** Manifest annotations, else null. */
  annotations: Record<string, string> | null;
  /** Manifest bytes plus config plus layers (or children's totals for an index). */
  totalSize: number;
  /** Push time (epoch ms). */
  createdAt: number;
}

/** A manifest with its tags, for listings. */
export interface ManifestListing extends ManifestRecord {
  tags: string[];
  referrerCount: number;
}

/** What a manifest points at, recorded for GC and deletes. */
export interface ManifestReferences {
  /** Digests of config and layer blobs (or blob descriptors of any kind). */
  blobs: string[];
  /** Digests of child manifests (index `manifests[]`). */
  manifests: string[];
}

/** An event to deliver, written in the same transaction as the change. */
export interface OutboxEvent {
  /** Stable id (UUID). */
  id: string;
  /** `push`, `pull`, `delete`, `mount`, `denied`, … */
  action: string;
  repo: string;
  /** JSON-serialisable payload (the notification envelope's event). */
  payload: unknown;
  createdAt: number;
}

/** A stored outbox event and its delivery state per sink. */
export interface StoredEvent extends OutboxEvent {
  /** Monotonic sequence: delivery order. */
  seq: number;
}

/** Arguments of {@link MetadataStore.putManifest}. */
export interface PutManifestInput {
  manifest: ManifestRecord;
  /**
   * The manifest's exact bytes, stored with the record in the same
   * transaction (see {@link MetadataStore.getManifestBody}). Omitted: the
   * bytes already stored for this repository and digest are kept.
   */
  body?: Uint8Array;
  references: ManifestReferences;
  /** Tags to point at this manifest (created or moved). */
  tags: string[];
  /**
   * Tags of `tags` that must not move (immutable tags): when one already
   * points at another digest, the store throws {@link ImmutableTagError}
   * and writes nothing. Checked inside the transaction, under the tag's
   * row lock, so of concurrent pushes creating one such tag with different
   * digests exactly one succeeds. Pointing it at the digest it already has
   * is fine (idempotent).
   */
  immutableTags?: string[];
  events?: OutboxEvent[];
}

/** Which tags {@link MetadataStore.deleteManifest} must not remove. */
export interface DeleteManifestGuard {
  /** True for a tag that must stay (an immutable tag). */
  protectedTag(tag: string): boolean;
}

/** Result of {@link MetadataStore.putManifest}. */
export interface PutManifestResult {
  /** True when the repository did not hold this manifest before. */
  created: boolean;
  /** Tags that moved away from another digest, with the previous digest. */
  movedTags: { tag: string; from: string }[];
}

/** An upload session (distribution-spec: "Pushing a blob in chunks"). */
export interface UploadSession {
  id: string;
  repo: string;
  /** `sha256` or `sha512`. */
  algorithm: string;
  /** Bytes received and committed to storage so far. */
  offset: number;
  createdAt: number;
  /** Last PATCH/POST/PUT activity, for expiry. */
  updatedAt: number;
  /** Driver-specific resume state (e.g. an S3 multipart upload id), opaque JSON. */
  driverState: string | null;
}

/** A referrer of a subject, as the referrers API lists it. */
export interface ReferrerRecord {
  digest: string;
  mediaType: string;
  size: number;
  /** Raw `artifactType`, else `config.mediaType` for a manifest; null for an index without one. */
  artifactType: string | null;
  annotations: Record<string, string> | null;
}

export interface ReferrerQuery extends PageRequest {
  /** Only referrers with exactly this artifact type. */
  artifactType?: string;
}

export interface ArtifactQuery extends PageRequest {
  /** Only manifests with one of these identified artifact types (media types). */
  artifactTypes?: string[];
}

/** Per-type counts for the type registry's listing. */
export interface TypeCount {
  artifactType: string | null;
  count: number;
}

/** A blob linked into one repository, for GC marks and retention. */
export interface BlobLink {
  digest: string;
  /** Size of the blob (from its registry-wide record). */
  size: number;
  /** When the link was made (epoch ms). */
  linkedAt: number;
}

/** A tag with the manifest it points at and when it last moved. */
export interface TagRecord {
  name: string;
  digest: string;
  /** Push (or move) time of the tag (epoch ms). */
  updatedAt: number;
}

/**
 * Which repositories a storage-usage sum covers: every name starting with
 * `prefix` (`''`: all), or exactly the listed names.
 */
export type RepositoryFilter = { prefix: string } | { names: string[] };

/** Bytes stored for a set of repositories, each distinct digest counted once. */
export interface StorageUsage {
  bytes: number;
  /** Distinct digests (blobs and manifests) counted. */
  objects: number;
}

export interface MetadataStore {
  /** `sqlite` or `postgres`, for logs and readiness. */
  readonly kind: string;

  /** Creates tables or upgrades them; safe to call on every start. */
  migrate(): Promise<void>;

  /** Cheap round trip, for `/readyz`. */
  ping(): Promise<void>;

  close(): Promise<void>;

  // ---- repositories
  /** True when the repository holds any blob, manifest or tag. */
  repositoryExists(repo: string): Promise<boolean>;

  /** Repository names in byte order. */
  listRepositories(page: PageRequest): Promise<Page<string>>;

  /** Repository names holding at least one manifest of one of the types. */
  listRepositoriesWithTypes(artifactTypes: string[], page: PageRequest): Promise<Page<string>>;

  // ---- blobs
  /** A blob known anywhere in the registry. */
  getBlob(digest: string): Promise<BlobRecord | undefined>;

  /** A blob linked into the repository. */
  getRepositoryBlob(repo: string, digest: string): Promise<BlobRecord | undefined>;

  /**
   * Records a blob (if new) and links it into the repository (creating the
   * repository if new). Idempotent. Returns true when the link is new.
   */
  linkBlob(repo: string, blob: BlobRecord, events?: OutboxEvent[]): Promise<boolean>;

  /** Unlinks a blob from a repository. Returns false when it was not linked. */
  unlinkBlob(repo: string, digest: string, events?: OutboxEvent[]): Promise<boolean>;

  /** Number of repositories (and manifests) still referencing a blob digest. */
  blobReferenceCount(digest: string): Promise<number>;

  /** Forgets a blob registry-wide (GC, after the bytes are deleted). */
  deleteBlobRecord(digest: string): Promise<void>;

  /** Every blob record (GC sweep); paged by digest. */
  listBlobs(page: PageRequest): Promise<Page<BlobRecord>>;

  // ---- manifests and tags
  /** Records a manifest with its links, tags, referrer row and events (one transaction). */
  putManifest(input: PutManifestInput): Promise<PutManifestResult>;

  getManifest(repo: string, digest: string): Promise<ManifestRecord | undefined>;

  /**
   * The bytes stored with a manifest record; undefined when the repository
   * holds no such manifest, or when it was recorded without them (before
   * schema version 2 the bytes lived only in blob storage).
   */
  getManifestBody(repo: string, digest: string): Promise<Buffer | undefined>;

  /** Digest a tag points at. */
  resolveTag(repo: string, tag: string): Promise<string | undefined>;

  /**
   * The record of the manifest a tag points at, in one read: what
   * `getManifest(repo, await resolveTag(repo, tag))` answers, without a tag
   * move in between (a manifest GET or HEAD by tag).
   */
  getTaggedManifest(repo: string, tag: string): Promise<ManifestRecord | undefined>;

  /** Tags pointing at a digest in a repository, sorted. */
  tagsOf(repo: string, digest: string): Promise<string[]>;

  /**
   * Deletes a manifest from a repository with every tag pointing at it.
   * Returns the deleted record, or undefined when the repository did not hold it.
   *
   * @param guard.protectedTag when it returns true for a tag pointing at
   *   the manifest, nothing is deleted and {@link ImmutableTagError} is
   *   thrown. Checked in the transaction with the manifest row locked, so
   *   a tag a concurrent push points at it is seen.
   */
  deleteManifest(
    repo: string,
    digest: string,
    events?: OutboxEvent[],
    guard?: DeleteManifestGuard,
  ): Promise<ManifestRecord | undefined>;

  /**
   * Deletes one tag. Returns the digest it pointed at, or undefined.
   * (Immutability depends on the tag's name only, so the registry refuses
   * deleting an immutable tag before asking; no guard is needed here.)
   */
  deleteTag(repo: string, tag: string, events?: OutboxEvent[]): Promise<string | undefined>;

  /** Tags in byte order. */
  listTags(repo: string, page: PageRequest): Promise<Page<string>>;

  /** Manifests of a repository ordered by digest, with tags and referrer counts. */
  listManifests(repo: string, query: ArtifactQuery): Promise<Page<ManifestListing>>;

  /** Manifests with a subject equal to `subject`, ordered by digest. */
  listReferrers(repo: string, subject: string, query: ReferrerQuery): Promise<Page<ReferrerRecord>>;

  /** Children and blobs a manifest references. */
  getReferences(repo: string, digest: string): Promise<ManifestReferences>;

  /** Counts of manifests per identified artifact type, registry-wide. */
  countByArtifactType(): Promise<TypeCount[]>;

  // ---- upload sessions
  createUpload(session: UploadSession): Promise<void>;
  getUpload(id: string): Promise<UploadSession | undefined>;
  /**
   * Advances an upload's offset, only if it is still `expectedOffset`
   * (compare-and-set, so two instances cannot both append). Returns false on
   * a lost race or a missing session.
   */
  updateUpload(
    id: string,
    expectedOffset: number,
    update: { offset: number; updatedAt: number; driverState?: string | null },
  ): Promise<boolean>;
  deleteUpload(id: string): Promise<boolean>;
  /** Sessions idle since before `updatedBefore` (epoch ms). */
  listStaleUploads(updatedBefore: number, limit: number): Promise<UploadSession[]>;

  // ---- events
  /** Appends events outside a change (pull events). */
  appendEvents(events: OutboxEvent[]): Promise<void>;
  /** Events with seq greater than `afterSeq`, in order. */
  readEvents(afterSeq: number, limit: number): Promise<StoredEvent[]>;
  /** Delivery cursor of one sink. */
  getCursor(sink: string): Promise<number>;
  setCursor(sink: string, seq: number): Promise<void>;
  /**
   * Every stored cursor by sink. A sink absent here has never stored one,
   * which `getCursor`'s 0 cannot tell apart from "delivered nothing yet".
   */
  listCursors(): Promise<Record<string, number>>;
  /**
   * How many events have seq greater than `afterSeq` (a sink's backlog),
   * and the seq of the last event ever written (0 before the first; pruning
   * does not lower it).
   */
  countEvents(afterSeq: number): Promise<{ count: number; lastSeq: number }>;
  /**
   * Deletes the events with seq ≤ `upToSeq` written before `createdBefore`
   * (epoch ms): those every sink has delivered. Seqs are never reused.
   * Returns how many were deleted.
   */
  pruneEvents(upToSeq: number, createdBefore: number): Promise<number>;

  // ---- garbage collection, retention and quotas
  /** Blobs linked into a repository, ordered by digest. */
  listRepositoryLinks(repo: string, page: PageRequest): Promise<Page<BlobLink>>;

  /** Tags of a repository with their digests and push times, ordered by name. */
  listTagRecords(repo: string, page: PageRequest): Promise<Page<TagRecord>>;

  /**
   * Bytes held by the repositories `filter` selects: blobs linked into them
   * and their manifests' own bytes, each distinct digest once (a layer
   * shared by two of them counts once). With `adding`, the usage as it
   * would be with that digest added too (zero more when it is already
   * counted). One aggregate query.
   */
  storageUsage(filter: RepositoryFilter, adding?: { digest: string; size: number }): Promise<StorageUsage>;

  /**
   * Deletes a manifest only while no tag points at it and no index in the
   * repository lists it (checked and deleted in one transaction, with the
   * row locked first, so a concurrent tag push either lands first and wins,
   * or after the delete and re-creates the manifest). Returns the deleted
   * record, or undefined when it was missing, tagged or a child.
   */
  deleteUnreferencedManifest(repo: string, digest: string, events?: OutboxEvent[]): Promise<ManifestRecord | undefined>;

  /** Deletes a tag only while it still points at `digest`. Returns true when deleted. */
  deleteTagIfAt(repo: string, tag: string, digest: string, events?: OutboxEvent[]): Promise<boolean>;

  /**
   * Forgets a blob record only when {@link blobReferenceCount} is zero.
   * Returns true when deleted. On PostgreSQL a link committed concurrently
   * makes it reject with the foreign-key error instead; nothing is deleted then.
   */
  deleteBlobRecordIfUnreferenced(digest: string): Promise<boolean>;

  /**
   * True when an open upload session holds exactly `size` bytes. GC asks
   * this after parking an unreferenced blob of that size: a session that is
   * completing links its blob only after moving it into place.
   */
  hasUploadOfSize(size: number): Promise<boolean>;

  // ---- leases
  /**
   * Takes or renews the lease `name` for `holder` until `now + ttlMs`: it
   * succeeds when nobody holds it, when the previous holder's lease has
   * expired (`expiresAt <= now`), or when `holder` already holds it (a
   * renewal). Atomic: of several holders racing for a free or expired lease,
   * on one or several instances, exactly one gets true. Background workers
   * (upload expiry, GC, webhook delivery) run only while they hold theirs,
   * so one instance at a time does that work and another takes over once a
   * dead holder's lease expires. `now` comes from the caller's clock; the
   * clocks of instances should agree to well within `ttlMs`.
   *
   * @returns true when `holder` now holds the lease until `now + ttlMs`.
   * @throws RangeError when `ttlMs` is not a positive integer or `now` not an integer.
   */
  acquireLease(name: string, holder: string, ttlMs: number, now: number): Promise<boolean>;

  /** Gives the lease up if `holder` holds it, so another can take it at once; otherwise a no-op. Idempotent. */
  releaseLease(name: string, holder: string): Promise<void>;
}
