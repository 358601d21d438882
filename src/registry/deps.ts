/**
 * What every registry service is built from. `main` wires the real graph;
 * tests wire their own (memory driver, temp SQLite, fixed clock).
 */
import type { Logger } from 'pino';
import type { StorageDriver } from '../storage/driver.js';
import type { MetadataStore } from '../metadata/store.js';
import type { RegistryConfig } from '../config/schema.js';
import type { ManifestHooks } from './manifest-hooks.js';
import type { EventRecorder } from './event-recorder.js';
import type { TypeRegistry } from '../artifact-types/index.js';
import type { QuotaGuard } from './gc/quota-guard.js';
import type { DigesterFactory } from '../storage/digester.js';

/** Epoch milliseconds. Injected so expiry, GC and tokens are testable. */
export type Clock = () => number;

/** Random unique ids (upload sessions, event ids). */
export type IdGenerator = () => string;

export interface RegistryDeps {
  storage: StorageDriver;
  metadata: MetadataStore;
  config: RegistryConfig;
  clock: Clock;
  ids: IdGenerator;
  logger: Logger;
  /** Artifact-type identification, governance and validation on manifest push. */
  hooks: ManifestHooks;
  /** Well-known and operator artifact types. */
  types: TypeRegistry;
  /** Builds outbox events for changes; a no-op recorder when webhooks are off. */
  events: EventRecorder;
  /** Storage quotas (`quotas` in config); absent when none is configured. */
  quota?: QuotaGuard;
  /** Hashers for uploaded bytes (storage/hash-workers.ts); in-process hashing when absent. */
  digesters?: DigesterFactory;
}
