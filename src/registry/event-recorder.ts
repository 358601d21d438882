/**
 * Turns registry changes into outbox events. The services hand these to the
 * metadata store inside the same transaction as the change, so a restart
 * never loses one (design.md "Events").
 */
import type { OutboxEvent } from '../metadata/store.js';

/** What changed, in the words of distribution's notification envelope. */
export interface RegistryChange {
  action: 'push' | 'pull' | 'delete' | 'mount';
  repo: string;
  target: {
    mediaType?: string;
    digest: string;
    size?: number;
    tag?: string;
    /** Identified artifact type (media type) and its short name. */
    artifactType?: string | null;
    artifactTypeName?: string | null;
  };
  /** The mount's source repository. */
  from?: string;
}

export interface EventRecorder {
  /** Events to store with the change; empty when nothing listens. */
  eventsFor(change: RegistryChange): OutboxEvent[];
}

/** A recorder for registries with no webhook configured. */
export function createNoEventRecorder(): EventRecorder {
  return { eventsFor: () => [] };
}
