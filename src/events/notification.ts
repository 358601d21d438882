/**
 * The events webhooks receive: distribution's notification envelope
 * (`shared/specs/distribution-notifications.md`, "Events" and "Envelope"),
 * extended with the artifact type, and the same event as a CloudEvent.
 *
 * The outbox stores the distribution event as built at change time (request,
 * actor and timestamp are facts of that moment); the CloudEvents form is
 * derived from it at delivery, per endpoint.
 */
import { MANIFEST_MEDIA_TYPES, bareMediaType } from '../oci/media-types.js';
import type { RequestContext } from './request-context.js';

/** Every action an event can carry. */
export type NotificationAction = 'push' | 'pull' | 'delete' | 'mount' | 'denied';

/**
 * What happened, in the registry's words. Structurally the registry's
 * `RegistryChange` plus `denied` (events sit below the registry layer and
 * cannot import it).
 */
export interface NotificationChange {
  action: NotificationAction;
  repo: string;
  target: {
    mediaType?: string;
    digest?: string;
    size?: number;
    tag?: string;
    artifactType?: string | null;
    artifactTypeName?: string | null;
  };
  /** The mount's source repository. */
  from?: string;
}

/** distribution's `Event.target`, plus `artifactType` (media type) and `artifactTypeName` (short name). */
export interface NotificationTarget {
  mediaType?: string;
  digest?: string;
  size?: number;
  /** Same as size; deprecated by distribution, still sent. */
  length?: number;
  repository: string;
  fromRepository?: string;
  url?: string;
  tag?: string;
  artifactType?: string;
  artifactTypeName?: string;
}

/** One event of distribution's envelope. */
export interface NotificationEvent {
  id: string;
  /** RFC 3339. */
  timestamp: string;
  action: NotificationAction;
  target: NotificationTarget;
  request: { id: string; addr: string; host: string; method: string; useragent: string };
  actor: { name?: string };
  source: { addr: string; instanceID: string };
}

/** The registry node that generates events (distribution's `SourceRecord`). */
export interface EventSource {
  /** `host:port` of this instance; filled in once the port is bound. */
  addr: string;
  /** Random per process start. */
  instanceID: string;
}

/** `application/vnd.docker.distribution.events.v2+json` (distribution-notifications: "Envelope"). */
export const ENVELOPE_MEDIA_TYPE = 'application/vnd.docker.distribution.events.v2+json';

/** CloudEvents JSON batch mode (cloudevents http-protocol-binding 3.3). */
export const CLOUDEVENTS_BATCH_MEDIA_TYPE = 'application/cloudevents-batch+json';

export interface BuildEventOptions {
  id: string;
  /** Epoch ms. */
  time: number;
  source: EventSource;
  /** Context of the request that caused the change; absent for background work. */
  request?: RequestContext | undefined;
  /** External base URL (`publicUrl`); else `http://<Host header>`; else URLs are relative. */
  baseUrl?: string | undefined;
}

function isManifestTarget(change: NotificationChange): boolean {
  const t = change.target;
  if (t.tag !== undefined || (t.artifactType ?? null) !== null) return true;
  return t.mediaType !== undefined && MANIFEST_MEDIA_TYPES.includes(bareMediaType(t.mediaType));
}

/**
 * Builds distribution's event for a change. Pure.
 *
 * @example
 * buildNotificationEvent({ action: 'push', repo: 'app', target: { digest, tag: 'v1' } },
 *   { id: randomUUID(), time: Date.now(), source: { addr: 'reg:5000', instanceID } });
 */
export function buildNotificationEvent(change: NotificationChange, options: BuildEventOptions): NotificationEvent {
  const t = change.target;
  const target: NotificationTarget = { repository: change.repo };
  if (t.mediaType !== undefined) target.mediaType = t.mediaType;
  if (t.digest !== undefined) target.digest = t.digest;
  if (t.size !== undefined) {
    target.size = t.size;
    target.length = t.size;
  }
  if (change.from !== undefined) target.fromRepository = change.from;
  const base = options.baseUrl ?? (options.request === undefined ? '' : `http://${options.request.host}`);
  const reference = t.digest ?? t.tag;
  if (reference !== undefined) {
    target.url = `${base.replace(/\/+$/, '')}/v2/${change.repo}/${isManifestTarget(change) ? 'manifests' : 'blobs'}/${reference}`;
  }
  if (t.tag !== undefined) target.tag = t.tag;
  if (typeof t.artifactType === 'string') target.artifactType = t.artifactType;
  if (typeof t.artifactTypeName === 'string') target.artifactTypeName = t.artifactTypeName;
  const r = options.request;
  return {
    id: options.id,
    timestamp: new Date(options.time).toISOString(),
    action: change.action,
    target,
    request: {
      id: r?.requestId ?? '',
      addr: r?.addr ?? '',
      host: r?.host ?? '',
      method: r?.method ?? '',
      useragent: r?.userAgent ?? '',
    },
    actor: r?.actor === undefined ? {} : { name: r.actor },
    source: { addr: options.source.addr, instanceID: options.source.instanceID },
  };
}

/** A CloudEvents 1.0 event (JSON format) wrapping one notification event. */
export interface CloudEvent {
  specversion: '1.0';
  /** `io.berth.artifact.pushed`, `.pulled`, `.deleted`, `.mounted`, `.denied`. */
  type: string;
  /** `/v2/<repository>` on the registry instance (`source.addr`). */
  source: string;
  id: string;
  time: string;
  /** `<repository>:<tag>` or `<repository>@<digest>`. */
  subject?: string;
  datacontenttype: 'application/json';
  data: NotificationEvent;
}

const PAST_TENSE: Record<NotificationAction, string> = {
  push: 'pushed',
  pull: 'pulled',
  delete: 'deleted',
  mount: 'mounted',
  denied: 'denied',
};

/**
 * The CloudEvents form of an event; `id` and `time` are the event's, so a
 * redelivery carries the same id (receivers deduplicate on source + id).
 */
export function toCloudEvent(event: NotificationEvent): CloudEvent {
  const t = event.target;
  const cloud: CloudEvent = {
    specversion: '1.0',
    type: `io.berth.artifact.${PAST_TENSE[event.action]}`,
    source: `//${event.source.addr || 'berth'}/v2/${t.repository}`,
    id: event.id,
    time: event.timestamp,
    datacontenttype: 'application/json',
    data: event,
  };
  if (t.tag !== undefined) cloud.subject = `${t.repository}:${t.tag}`;
  else if (t.digest !== undefined) cloud.subject = `${t.repository}@${t.digest}`;
  return cloud;
}

/** A request body ready to sign and send. */
export interface EncodedBatch {
  contentType: string;
  body: Buffer;
}

/** Encodes a batch in an endpoint's format: the envelope, or a CloudEvents batch. */
export function encodeBatch(
  events: readonly NotificationEvent[],
  format: 'distribution' | 'cloudevents',
): EncodedBatch {
  if (format === 'cloudevents') {
    return { contentType: CLOUDEVENTS_BATCH_MEDIA_TYPE, body: Buffer.from(JSON.stringify(events.map(toCloudEvent))) };
  }
  return { contentType: ENVELOPE_MEDIA_TYPE, body: Buffer.from(JSON.stringify({ events })) };
}
