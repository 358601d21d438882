/**
 * Shared pieces of the GC, retention, quota and scrub tests: a clock the
 * test moves, a server wired to it, a collector over the server's own
 * stores, and pull checks that verify digests.
 */
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { RegistryClient } from '../helpers/client.js';
import { sha256, type Blob, type Pushable } from '../helpers/builders.js';
import {
  createGarbageCollector,
  type GcOptions,
  type GcReport,
  type GcRunOptions,
} from '../../src/registry/gc/collector.js';

export const HOUR = 3600 * 1000;
export const DAY = 24 * HOUR;

/** Epoch ms the test sets; starts at real time so file mtimes compare sensibly. */
export interface TestClock {
  now: number;
  advance(ms: number): void;
  readonly fn: () => number;
}

export function testClock(start = Date.now()): TestClock {
  const clock = {
    now: start,
    advance(ms: number) {
      clock.now += ms;
    },
    fn: () => clock.now,
  };
  return clock;
}

/** A server on `clock`, and a client for it. */
export async function gcServer(
  clock: TestClock,
  config: Record<string, unknown> = {},
): Promise<{ server: TestServer; client: RegistryClient }> {
  const server = await startTestServer({ clock: clock.fn, config });
  return { server, client: new RegistryClient(server.url) };
}

/** What {@link useGcServer} sets up for a suite. */
export interface GcSuite {
  clock: TestClock;
  server: TestServer;
  client: RegistryClient;
}

/**
 * In a `describe` body: starts a server on a fresh test clock before the
 * suite's tests (`set` receives clock, server and client) and closes it after.
 *
 * @example
 * let clock: TestClock; let server: TestServer; let client: RegistryClient;
 * useGcServer((s) => ({ clock, server, client } = s));
 */
export function useGcServer(
  set: (suite: GcSuite) => void,
  options: { start?: number; config?: Record<string, unknown> } = {},
): void {
  let server: TestServer | undefined;
  before(async () => {
    const clock = testClock(options.start);
    const started = await gcServer(clock, options.config);
    server = started.server;
    set({ clock, ...started });
  });
  after(() => server?.close());
}

/** Runs one collection over the server's own stores. */
export function runGc(server: TestServer, options: Partial<GcOptions> = {}, run: GcRunOptions = {}): Promise<GcReport> {
  const gc = createGarbageCollector(server.registry.deps, { gracePeriodMs: HOUR, ...options });
  return gc.run(run);
}

/** The manifest answers 200 with bytes that hash to its digest. */
export async function assertManifest(
  client: RegistryClient,
  repo: string,
  m: Pushable,
  reference = m.digest,
): Promise<void> {
  const res = await client.request(`/v2/${repo}/manifests/${reference}`, { headers: { accept: m.mediaType } });
  const body = Buffer.from(await res.arrayBuffer());
  assert.equal(res.status, 200, `GET ${repo}@${reference}: ${res.status} ${body.toString().slice(0, 300)}`);
  assert.equal(sha256(body), m.digest, `${repo}@${reference} bytes`);
}

/** The blob answers 200 with bytes that hash to its digest. */
export async function assertBlob(client: RegistryClient, repo: string, b: Blob): Promise<void> {
  const res = await client.request(`/v2/${repo}/blobs/${b.digest}`);
  const body = Buffer.from(await res.arrayBuffer());
  assert.equal(res.status, 200, `GET ${repo} blob ${b.digest}: ${res.status} ${body.toString().slice(0, 300)}`);
  assert.equal(sha256(body), b.digest, `${repo} blob ${b.digest} bytes`);
}

/** Every blob and child of an artifact, and the artifact itself, pull with the right digests. */
export async function assertPullable(client: RegistryClient, repo: string, m: Pushable): Promise<void> {
  for (const child of m.children ?? []) await assertPullable(client, repo, child);
  for (const b of m.blobs ?? []) await assertBlob(client, repo, b);
  await assertManifest(client, repo, m);
}

/** GET of `path` answers 404. */
export async function assertGone(client: RegistryClient, path: string): Promise<void> {
  const res = await client.request(path);
  await res.arrayBuffer();
  assert.equal(res.status, 404, `GET ${path}: expected 404, got ${res.status}`);
}

/** DELETE of `path` answers 202. */
export async function del(client: RegistryClient, path: string): Promise<void> {
  const res = await client.request(path, { method: 'DELETE' });
  assert.equal(res.status, 202, `DELETE ${path}: ${res.status} ${await res.text()}`);
}
