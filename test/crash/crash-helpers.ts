/**
 * Tools for the crash-safety test: a ledger of what the server acknowledged,
 * checks that replay it against a restarted server, requests that stall
 * mid-body (so a SIGKILL lands mid-stream), and a walk of the blob store.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { request as httpRequest, type ClientRequest } from 'node:http';
import { join, relative, sep } from 'node:path';
import { assertError, type RegistryClient } from '../helpers/client.js';
import type { Blob, Pushable } from '../helpers/builders.js';

export const MiB = 1024 * 1024;

export interface AckedBlob {
  repo: string;
  digest: string;
  size: number;
}

export interface AckedManifest {
  repo: string;
  digest: string;
  mediaType: string;
  bytes: Buffer;
}

/** Everything the server answered 2xx for: what must survive any crash. */
export class Ledger {
  readonly blobs = new Map<string, AckedBlob>();
  readonly manifests = new Map<string, AckedManifest>();
  /** `repo:tag` → acknowledged digest. */
  readonly tags = new Map<string, { repo: string; tag: string; digest: string }>();

  blob(repo: string, b: { digest: string; size: number }): void {
    this.blobs.set(`${repo}@${b.digest}`, { repo, digest: b.digest, size: b.size });
  }

  manifest(repo: string, m: Pushable, tag?: string): void {
    this.manifests.set(`${repo}@${m.digest}`, { repo, digest: m.digest, mediaType: m.mediaType, bytes: m.bytes });
    if (tag !== undefined) this.tags.set(`${repo}:${tag}`, { repo, tag, digest: m.digest });
  }

  /** Pushes an image's blobs then its manifest, asserting and recording each acknowledgement. */
  async push(client: RegistryClient, repo: string, item: Pushable, tag?: string): Promise<void> {
    for (const child of item.children ?? []) await this.push(client, repo, child);
    for (const b of item.blobs ?? []) await this.pushBlob(client, repo, b);
    const res = await client.pushManifest(repo, tag ?? item.digest, item);
    assert.equal(res.status, 201, `manifest push: ${res.status} ${await res.text()}`);
    this.manifest(repo, item, tag);
  }

  async pushBlob(client: RegistryClient, repo: string, b: Blob): Promise<void> {
    const res = await client.pushBlob(repo, b);
    assert.equal(res.status, 201, `blob push: ${res.status} ${await res.text()}`);
    this.blob(repo, b);
  }
}

/** Streams a response body through a hasher. */
export async function digestOfBody(res: Response, algorithm = 'sha256'): Promise<{ digest: string; size: number }> {
  const hash = createHash(algorithm);
  let size = 0;
  if (res.body !== null) {
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      size += chunk.byteLength;
    }
  }
  return { digest: `${algorithm}:${hash.digest('hex')}`, size };
}

/**
 * Asserts every acknowledged blob, manifest and tag reads back byte-exact:
 * blobs by digest (hash of the GET body), manifests by digest and tags by
 * name (exact bytes), and each tag appears in its repository's tag list.
 */
export async function assertLedgerIntact(client: RegistryClient, ledger: Ledger): Promise<void> {
  for (const b of ledger.blobs.values()) {
    const res = await client.request(`/v2/${b.repo}/blobs/${b.digest}`);
    assert.equal(res.status, 200, `acknowledged blob ${b.repo}@${b.digest}: ${res.status}`);
    assert.deepEqual(await digestOfBody(res), { digest: b.digest, size: b.size }, `blob ${b.repo}@${b.digest} bytes`);
  }
  for (const m of ledger.manifests.values()) {
    const res = await client.request(`/v2/${m.repo}/manifests/${m.digest}`, { headers: { accept: m.mediaType } });
    assert.equal(res.status, 200, `acknowledged manifest ${m.repo}@${m.digest}: ${res.status}`);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), m.bytes, `manifest ${m.repo}@${m.digest} bytes`);
  }
  const listed = new Map<string, Set<string>>();
  for (const t of ledger.tags.values()) {
    const m = ledger.manifests.get(`${t.repo}@${t.digest}`);
    assert.ok(m, `ledger holds the manifest of ${t.repo}:${t.tag}`);
    const res = await client.request(`/v2/${t.repo}/manifests/${t.tag}`, { headers: { accept: m.mediaType } });
    assert.equal(res.status, 200, `acknowledged tag ${t.repo}:${t.tag}: ${res.status}`);
    assert.equal(
      res.headers.get('docker-content-digest'),
      t.digest,
      `tag ${t.repo}:${t.tag} points where it was pushed`,
    );
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), m.bytes, `tag ${t.repo}:${t.tag} bytes`);
    let tags = listed.get(t.repo);
    if (tags === undefined) {
      tags = await listTags(client, t.repo);
      listed.set(t.repo, tags);
    }
    assert.ok(tags.has(t.tag), `tags/list of ${t.repo} includes ${t.tag}`);
  }
}

export async function listTags(client: RegistryClient, repo: string): Promise<Set<string>> {
  const { res, body } = await client.getJson<{ tags: string[] | null }>(`/v2/${repo}/tags/list`);
  assert.equal(res.status, 200, `tags/list ${repo}`);
  return new Set(body.tags ?? []);
}

/**
 * Every listed tag of `repo` resolves to a manifest whose bytes hash to the
 * digest the server names, and whose blobs are all readable: no tag points
 * at something half-written.
 */
export async function assertTagsResolve(client: RegistryClient, repo: string): Promise<void> {
  for (const tag of await listTags(client, repo)) {
    const res = await client.request(`/v2/${repo}/manifests/${tag}`, {
      headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json' },
    });
    assert.equal(res.status, 200, `listed tag ${repo}:${tag} resolves`);
    const digest = res.headers.get('docker-content-digest');
    const bytes = Buffer.from(await res.arrayBuffer());
    assert.equal(
      `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
      digest,
      `${repo}:${tag} bytes match digest`,
    );
    const json = JSON.parse(bytes.toString('utf8')) as { config?: { digest: string }; layers?: { digest: string }[] };
    for (const d of [json.config, ...(json.layers ?? [])]) {
      if (d === undefined) continue;
      const head = await client.request(`/v2/${repo}/blobs/${d.digest}`, { method: 'HEAD' });
      assert.equal(head.status, 200, `${repo}:${tag} references readable blob ${d.digest}`);
    }
  }
}

/** A digest the registry must not know (in `repo`): GET answers 404 BLOB_UNKNOWN. */
export async function assertBlobUnknown(client: RegistryClient, repo: string, digest: string): Promise<void> {
  const head = await client.request(`/v2/${repo}/blobs/${digest}`, { method: 'HEAD' });
  assert.equal(head.status, 404, `HEAD ${repo}@${digest} of an interrupted push`);
  await assertError(await client.request(`/v2/${repo}/blobs/${digest}`), 404, 'BLOB_UNKNOWN');
}

/**
 * Walks `<storageRoot>/blobs`: every file must sit at
 * `<algorithm>/<first two hex>/<hex>` and hash to that name, so no prefix or
 * temp file is ever visible as content. Returns the set of digests found.
 */
export async function assertBlobFilesHashToTheirNames(storageRoot: string): Promise<Set<string>> {
  const root = join(storageRoot, 'blobs');
  const found = new Set<string>();
  for await (const file of walkFiles(root)) {
    const parts = relative(root, file).split(sep);
    assert.equal(parts.length, 3, `unexpected file under blobs/: ${file}`);
    const [algorithm = '', prefix = '', encoded = ''] = parts;
    assert.ok(algorithm === 'sha256' || algorithm === 'sha512', `algorithm dir of ${file}`);
    assert.equal(prefix, encoded.slice(0, 2), `prefix dir of ${file}`);
    const hash = createHash(algorithm);
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
    assert.equal(hash.digest('hex'), encoded, `${file} holds exactly the bytes its name says`);
    found.add(`${algorithm}:${encoded}`);
  }
  return found;
}

async function* walkFiles(dir: string): AsyncGenerator<string> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walkFiles(path);
    else yield path;
  }
}

/** Total bytes of the files under `dir` outside `skip` (top-level names). */
export async function bytesUnder(dir: string, skip: string[] = []): Promise<number> {
  let total = 0;
  for await (const file of walkFiles(dir)) {
    const top = relative(dir, file).split(sep)[0] ?? '';
    if (skip.includes(top)) continue;
    total += (await stat(file).catch(() => undefined))?.size ?? 0;
  }
  return total;
}

export interface StalledRequest {
  /** The status if the server ever answered, or the error that ended the request. */
  settled: Promise<{ status?: number; error?: Error }>;
  request: ClientRequest;
}

/**
 * Sends a request that declares the whole body's length but writes only the
 * first `sendBytes` bytes (each write flushed to the socket), then stalls with
 * the request open: the server is mid-body until it is killed.
 */
export async function stalledRequest(
  url: string,
  method: string,
  headers: Record<string, string>,
  body: Buffer,
  sendBytes: number,
): Promise<StalledRequest> {
  const req = httpRequest(url, {
    method,
    agent: false,
    headers: { ...headers, 'content-length': String(body.length) },
  });
  const settled = new Promise<{ status?: number; error?: Error }>((resolve) => {
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode === undefined ? {} : { status: res.statusCode });
    });
    req.on('error', (error) => resolve({ error }));
  });
  const piece = 256 * 1024;
  for (let at = 0; at < sendBytes; at += piece) {
    const part = body.subarray(at, Math.min(at + piece, sendBytes));
    await new Promise<void>((resolve, reject) => req.write(part, (err) => (err ? reject(err) : resolve())));
  }
  return { settled, request: req };
}

/** `Range: 0-<end>` of an upload session → its offset. */
export function offsetOf(res: Response): number {
  const range = res.headers.get('range');
  assert.ok(range !== null, 'upload status carries Range');
  const m = /^0-(\d+)$/.exec(range);
  assert.ok(m, `Range header form: ${range}`);
  return Number(m[1]) + 1;
}
