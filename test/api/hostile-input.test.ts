/**
 * Malformed, oversized and hostile requests at every endpoint (issue 7,
 * "Proof"): path traversal and encoding tricks in names, references,
 * digests and session ids; huge headers; truncated and garbled bodies;
 * wrong content types; bad ranges and numbers; garbage credentials and
 * JWTs; random bytes (seeded, so a failure reproduces) and deeply nested
 * JSON as manifests.
 *
 * Every answer must be a 4xx, or, for bytes that are not a complete HTTP
 * request, a closed connection; never a 5xx. After each batch the server
 * still answers `GET /v2/`, and at the end nothing was written next to the
 * data directories (they sit inside a sandbox directory that is listed
 * before and after).
 *
 * Requests go over raw sockets so paths and framing arrive exactly as
 * written. Each case is one connection with `Connection: close`, bounded
 * by a timeout.
 */
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { RegistryClient } from '../helpers/client.js';
import { image, sha256, type Pushable } from '../helpers/builders.js';
import { writeHtpasswd } from '../helpers/auth.js';
import { rawExchange, type RawAnswer } from '../helpers/raw-http.js';

/** mulberry32: a small seeded PRNG, so random inputs are the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomBytesFrom(next: () => number, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(next() * 256);
  return out;
}

/** Every path under `root`, relative and sorted, leaving out `skip` subtrees. */
function listTree(root: string, skip: string[]): string[] {
  const out: string[] = [];
  const visit = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (skip.includes(path)) continue;
      out.push(relative(root, path));
      if (entry.isDirectory()) visit(path);
    }
  };
  visit(root);
  return out.sort();
}

interface RequestSpec {
  method: string;
  path: string;
  headers?: [string, string][];
  body?: Buffer | string;
  /** Content-Length to declare: a string as given, null for none; default: the body's length. */
  contentLength?: string | null;
}

/** One raw HTTP/1.1 request with `Connection: close`. */
function raw(spec: RequestSpec): Buffer {
  const body = spec.body === undefined ? Buffer.alloc(0) : Buffer.from(spec.body);
  const lines = [`${spec.method} ${spec.path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'];
  for (const [name, value] of spec.headers ?? []) lines.push(`${name}: ${value}`);
  const declared = spec.contentLength === undefined ? (spec.body === undefined ? null : String(body.byteLength)) : spec.contentLength;
  if (declared !== null) lines.push(`Content-Length: ${declared}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body]);
}

interface Case {
  label: string;
  bytes: Buffer;
  /** Half-close after sending (a client giving up mid-body). */
  end?: boolean;
  /** Not a complete HTTP request: a closed connection without an answer is fine too. */
  garbage?: boolean;
  /**
   * Statuses allowed besides 4xx (a server may ignore a malformed Range and
   * answer 200, RFC 9110 §14.2).
   */
  alsoAllowed?: number[];
}

function req(label: string, spec: RequestSpec, extra: Omit<Case, 'label' | 'bytes'> = {}): Case {
  return { label, bytes: raw(spec), ...extra };
}

/** Sends every case (a few at a time); the ones answered wrongly, and how many got each status ('closed': none). */
async function runBatch(baseUrl: string, cases: Case[], concurrency = 8): Promise<{ failures: string[]; tally: Record<string, number> }> {
  const failures: string[] = [];
  const tally: Record<string, number> = {};
  const check = (c: Case, answer: RawAnswer): void => {
    const key = answer.status === undefined ? 'closed' : String(answer.status);
    tally[key] = (tally[key] ?? 0) + 1;
    if (answer.timedOut) failures.push(`${c.label}: no answer and no close within the bound`);
    else if (answer.status === undefined) {
      if (c.garbage !== true) failures.push(`${c.label}: connection closed without an answer`);
    } else if (!(answer.status >= 400 && answer.status < 500) && !(c.alsoAllowed ?? []).includes(answer.status)) {
      failures.push(`${c.label}: ${answer.status} ${answer.body.slice(0, 160)}`);
    }
  };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < cases.length) {
      const c = cases[next++] as Case;
      check(c, await rawExchange(baseUrl, c.bytes, { end: c.end === true, timeoutMs: 15_000 }));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { failures, tally };
}

const HEX = 'a'.repeat(64);
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/** Names that must never address a repository: traversal, encodings, unicode look-alikes, control bytes. */
const HOSTILE_NAMES = [
  '..',
  '../..',
  '%2e%2e',
  '%2E%2e/%2e%2E',
  '.%2e',
  '..%2f..%2fetc',
  'a/..%2f..%2f..%2fetc',
  '%2f',
  '%2fetc%2fpasswd',
  'a%2f..',
  'a%5c..%5c..',
  'a\\..\\..',
  '%00',
  'a%00b',
  'a/%00/b',
  '%252e%252e',
  '%c0%ae%c0%ae',
  '%ef%bc%8e%ef%bc%8e',
  'a%e2%80%aeb',
  'a%e2%81%84b',
  'e%cc%81',
  'a;b',
  '..;/x',
  'a/./b',
  'UPPER',
  '~root',
  '$(id)',
  'a%0d%0aSet-Cookie:x',
  'a%20b',
  'a//b',
  `${'a/'.repeat(130)}a`,
];

describe('hostile input', () => {
  let sandbox: string;
  let openDir: string;
  let tokenDir: string;
  let open: TestServer;
  let token: TestServer;
  let seed: Pushable;
  let session: string;
  let treeBefore: string[];

  before(async () => {
    sandbox = mkdtempSync(join(tmpdir(), 'berth-hostile-'));
    openDir = join(sandbox, 'outer', 'data-open');
    tokenDir = join(sandbox, 'outer', 'data-token');
    mkdirSync(openDir, { recursive: true });
    mkdirSync(tokenDir, { recursive: true });
    open = await startTestServer({
      dataDir: openDir,
      config: {
        'http.maxHeaderBytes': 8192,
        'http.bodyIdleTimeoutSeconds': 2,
        'registry.maxBlobBytes': 10 * 1024 * 1024,
        'registry.maxUploadsPerClient': 0,
        'log.requests': false,
      },
    });
    token = await startTestServer({
      dataDir: tokenDir,
      config: {
        'auth.mode': 'token',
        'auth.htpasswd': writeHtpasswd(sandbox),
        'auth.rules': [{ repositories: '**', allow: { alice: ['pull', 'push', 'delete'] } }],
        'http.bodyIdleTimeoutSeconds': 2,
        'log.requests': false,
      },
    });
    const client = new RegistryClient(open.url);
    seed = image({ layers: 1 });
    await client.push('seed/repo', seed, 'v1');
    const start = await client.request('/v2/seed/repo/blobs/uploads/', { method: 'POST' });
    session = /[^/]+$/.exec(start.headers.get('location') ?? '')?.[0] ?? '';
    assert.match(session, /^[A-Za-z0-9_-]{16,}$/);
    treeBefore = listTree(sandbox, [openDir, tokenDir]);
  });

  after(async () => {
    await open.close();
    await token.close();
    rmSync(sandbox, { recursive: true, force: true });
  });

  async function expectOnly4xx(server: TestServer, cases: Case[], t: TestContext): Promise<void> {
    const { failures, tally } = await runBatch(server.url, cases);
    t.diagnostic(`${cases.length} cases: ${JSON.stringify(tally)}`);
    assert.deepEqual(failures.slice(0, 25), [], `${failures.length} of ${cases.length} cases answered wrongly`);
    const alive = await fetch(`${server.url}/v2/`);
    // The token server challenges anonymous callers: 401 is its healthy answer.
    assert.equal(alive.status, server === token ? 401 : 200, 'the server still answers GET /v2/');
    await alive.arrayBuffer();
  }

  it('refuses hostile repository names on every endpoint', async (t) => {
    const digest = seed.digest;
    const blobDigest = seed.blobs?.[0]?.digest ?? digest;
    const cases: Case[] = [];
    for (const name of HOSTILE_NAMES) {
      const n = name;
      cases.push(
        req(`GET tags ${n}`, { method: 'GET', path: `/v2/${n}/tags/list` }),
        req(`GET manifest ${n}`, { method: 'GET', path: `/v2/${n}/manifests/v1` }),
        req(`HEAD manifest ${n}`, { method: 'HEAD', path: `/v2/${n}/manifests/v1` }),
        req(`PUT manifest ${n}`, { method: 'PUT', path: `/v2/${n}/manifests/v1`, headers: [['Content-Type', seed.mediaType]], body: seed.bytes }),
        req(`DELETE manifest ${n}`, { method: 'DELETE', path: `/v2/${n}/manifests/${digest}` }),
        req(`GET blob ${n}`, { method: 'GET', path: `/v2/${n}/blobs/${blobDigest}` }),
        req(`DELETE blob ${n}`, { method: 'DELETE', path: `/v2/${n}/blobs/${blobDigest}` }),
        req(`POST upload ${n}`, { method: 'POST', path: `/v2/${n}/blobs/uploads/` }),
        req(`POST monolithic ${n}`, { method: 'POST', path: `/v2/${n}/blobs/uploads/?digest=${sha256('x')}`, body: 'x' }),
        req(`POST mount into ${n}`, { method: 'POST', path: `/v2/${n}/blobs/uploads/?mount=${blobDigest}&from=seed/repo` }),
        req(`POST mount from ${n}`, { method: 'POST', path: `/v2/seed/other/blobs/uploads/?mount=${blobDigest}&from=${n}` }),
        req(`PATCH session ${n}`, { method: 'PATCH', path: `/v2/${n}/blobs/uploads/${session}`, body: 'abc' }),
        req(`PUT session ${n}`, { method: 'PUT', path: `/v2/${n}/blobs/uploads/${session}?digest=${sha256('')}` }),
        req(`GET session ${n}`, { method: 'GET', path: `/v2/${n}/blobs/uploads/${session}` }),
        req(`DELETE session ${n}`, { method: 'DELETE', path: `/v2/${n}/blobs/uploads/${session}` }),
        req(`GET referrers ${n}`, { method: 'GET', path: `/v2/${n}/referrers/${digest}` }),
        req(`GET berth artifacts ${n}`, { method: 'GET', path: `/v2/_berth/repositories/${n}/artifacts` }),
      );
    }
    await expectOnly4xx(open, cases, t);
  });

  it('refuses traversal and encoded slashes in references, digests and session ids', async (t) => {
    const refs = [
      '..',
      '%2e%2e',
      '..%2f..%2f..%2fetc%2fpasswd',
      '%2f',
      'v1%2f..',
      'v1%00',
      '%00',
      'v1%5c..',
      `sha256:..%2f..%2f${HEX.slice(6)}`,
      `sha256:${HEX.slice(1)}%2f`,
      'sha256:../../x',
      `SHA256:${HEX}`,
      `sha256:${HEX.toUpperCase()}`,
      'sha512:abc',
      'md5:d41d8cd98f00b204e9800998ecf8427e',
      'sha256:',
      ':',
      'x'.repeat(129),
      '%c0%ae%c0%ae',
      '%ef%bc%8e%ef%bc%8e',
      '-v1',
      '.v1',
    ];
    const cases: Case[] = [];
    for (const ref of refs) {
      cases.push(
        req(`GET manifest ${ref}`, { method: 'GET', path: `/v2/seed/repo/manifests/${ref}` }),
        req(`HEAD manifest ${ref}`, { method: 'HEAD', path: `/v2/seed/repo/manifests/${ref}` }),
        req(`PUT manifest ${ref}`, { method: 'PUT', path: `/v2/seed/repo/manifests/${ref}`, headers: [['Content-Type', seed.mediaType]], body: seed.bytes }),
        req(`DELETE manifest ${ref}`, { method: 'DELETE', path: `/v2/seed/repo/manifests/${ref}` }),
        req(`GET blob ${ref}`, { method: 'GET', path: `/v2/seed/repo/blobs/${ref}` }),
        req(`DELETE blob ${ref}`, { method: 'DELETE', path: `/v2/seed/repo/blobs/${ref}` }),
        req(`GET referrers ${ref}`, { method: 'GET', path: `/v2/seed/repo/referrers/${ref}` }),
        req(`PUT session ?digest=${ref}`, { method: 'PUT', path: `/v2/seed/repo/blobs/uploads/${session}?digest=${ref}` }),
        req(`POST ?digest=${ref}`, { method: 'POST', path: `/v2/seed/repo/blobs/uploads/?digest=${ref}`, body: 'abc' }),
        req(`POST ?mount=${ref}`, { method: 'POST', path: `/v2/seed/repo/blobs/uploads/?mount=${ref}&from=seed/repo` }),
      );
    }
    const sessions = [
      '..',
      '%2e%2e',
      '..%2f..%2fstorage',
      '%2f',
      'a%00',
      '%00',
      `${session}%2f..`,
      `${session}/..`,
      `..%5c..%5c${session}`,
      'x'.repeat(65),
      'x'.repeat(5000),
      `${session}%00`,
      '%c0%ae%c0%ae',
    ];
    for (const id of sessions) {
      cases.push(
        req(`PATCH session ${id.slice(0, 40)}`, { method: 'PATCH', path: `/v2/seed/repo/blobs/uploads/${id}`, body: 'abc' }),
        req(`PUT session ${id.slice(0, 40)}`, { method: 'PUT', path: `/v2/seed/repo/blobs/uploads/${id}?digest=${sha256('')}` }),
        req(`GET session ${id.slice(0, 40)}`, { method: 'GET', path: `/v2/seed/repo/blobs/uploads/${id}` }),
        req(`DELETE session ${id.slice(0, 40)}`, { method: 'DELETE', path: `/v2/seed/repo/blobs/uploads/${id}` }),
      );
    }
    await expectOnly4xx(open, cases, t);
  });

  it('refuses huge headers and bytes that are not HTTP, and survives truncated and garbled bodies', async (t) => {
    const patch = `/v2/seed/repo/blobs/uploads/${session}`;
    const chunkedHeaders: [string, string][] = [['Transfer-Encoding', 'chunked']];
    const cases: Case[] = [
      // Headers past http.maxHeaderBytes (8 KiB here): 431.
      req('one 64 KiB header', { method: 'GET', path: '/v2/', headers: [['X-Big', 'a'.repeat(65536)]] }, { garbage: true }),
      req('500 headers of 100 bytes', { method: 'GET', path: '/v2/', headers: Array.from({ length: 500 }, (_, i): [string, string] => [`X-H${i}`, 'b'.repeat(90)]) }, { garbage: true }),
      req('3000 tiny headers', { method: 'GET', path: '/v2/', headers: Array.from({ length: 3000 }, (_, i): [string, string] => [`X${i}`, '1']) }, { garbage: true }),
      req('100 KiB path', { method: 'GET', path: `/v2/${'a'.repeat(100_000)}/tags/list` }, { garbage: true }),
      req('huge Authorization', { method: 'GET', path: '/v2/seed/repo/tags/list', headers: [['Authorization', `Bearer ${'A'.repeat(20_000)}`]] }, { garbage: true }),
      // Not HTTP.
      { label: 'binary noise', bytes: randomBytesFrom(prng(7), 4096), garbage: true },
      // Node's parser takes a request line without a version as HTTP/0.9 and serves it: harmless.
      { label: 'HTTP/0.9 request', bytes: Buffer.from('GET /v2/\r\n\r\n'), garbage: true, alsoAllowed: [200] },
      { label: 'unknown version', bytes: Buffer.from('GET /v2/ HTTP/9.9\r\nHost: x\r\nConnection: close\r\n\r\n'), garbage: true },
      { label: 'no Host', bytes: Buffer.from('GET /v2/ HTTP/1.1\r\nConnection: close\r\n\r\n'), garbage: true },
      { label: 'space in path', bytes: Buffer.from('GET /v2/a b/tags/list HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), garbage: true },
      { label: 'NUL in header', bytes: Buffer.from('GET /v2/ HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\nConnection: close\r\n\r\n'), garbage: true },
      { label: 'raw non-ASCII path', bytes: Buffer.concat([Buffer.from('GET /v2/'), Buffer.from([0xc0, 0xae, 0xff]), Buffer.from('/tags/list HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')]), garbage: true },
      req('unknown method', { method: 'FOO', path: '/v2/' }, { garbage: true }),
      req('TRACE', { method: 'TRACE', path: '/v2/' }),
      req('OPTIONS', { method: 'OPTIONS', path: '/v2/seed/repo/manifests/v1' }),
      req('Expect: nonsense', { method: 'PATCH', path: patch, headers: [['Expect', 'teapot']], body: 'abc' }, { garbage: true }),
      // Truncated bodies: Content-Length larger than what is sent, then the client closes.
      req('truncated PATCH', { method: 'PATCH', path: patch, contentLength: '5000', body: 'x'.repeat(100) }, { end: true, garbage: true }),
      req('truncated manifest', { method: 'PUT', path: '/v2/seed/repo/manifests/t', headers: [['Content-Type', OCI_MANIFEST]], contentLength: '2000', body: '{"schemaVersion":' }, { end: true, garbage: true }),
      req('truncated monolithic', { method: 'POST', path: `/v2/seed/repo/blobs/uploads/?digest=${sha256('abc')}`, contentLength: '1000', body: 'abc' }, { end: true, garbage: true }),
      req('truncated closing PUT', { method: 'PUT', path: `${patch}?digest=${sha256('abc')}`, contentLength: '100', body: 'abc' }, { end: true, garbage: true }),
      req('truncated chunk', { method: 'PATCH', path: patch, headers: chunkedHeaders, contentLength: null, body: '5\r\nhel' }, { end: true, garbage: true }),
      // Garbled chunked framing.
      req('chunk size not hex', { method: 'PATCH', path: patch, headers: chunkedHeaders, contentLength: null, body: 'zz\r\nabc\r\n0\r\n\r\n' }, { garbage: true }),
      req('negative chunk size', { method: 'PATCH', path: patch, headers: chunkedHeaders, contentLength: null, body: '-5\r\nhello\r\n0\r\n\r\n' }, { garbage: true }),
      req('huge chunk size', { method: 'PUT', path: '/v2/seed/repo/manifests/t', headers: [['Content-Type', OCI_MANIFEST], ...chunkedHeaders], contentLength: null, body: 'ffffffffffffffffff\r\nabc\r\n' }, { garbage: true }),
      req('chunk extension garbage', { method: 'PATCH', path: patch, headers: chunkedHeaders, contentLength: null, body: '3;;;=;\r\nabc\r\n0\r\n\r\n' }, { garbage: true }),
      req('chunked and Content-Length', { method: 'PATCH', path: patch, headers: chunkedHeaders, contentLength: '3', body: '3\r\nabc\r\n0\r\n\r\n' }, { garbage: true }),
      req('unknown transfer coding', { method: 'PATCH', path: patch, headers: [['Transfer-Encoding', 'gzip, foo']], contentLength: null, body: 'abc' }, { end: true, garbage: true }),
      req('chunked twice', { method: 'PUT', path: '/v2/seed/repo/manifests/t', headers: [['Content-Type', OCI_MANIFEST], ['Transfer-Encoding', 'chunked, chunked']], contentLength: null, body: '2\r\n{}\r\n0\r\n\r\n' }, { garbage: true }),
      // Bad numbers in Content-Length.
      ...['-1', '1e3', '99999999999999999999', '0x10', '+5', '5, 6', 'abc', ' '].map((cl) =>
        req(`Content-Length ${JSON.stringify(cl)}`, { method: 'PATCH', path: patch, contentLength: cl, body: 'abcde' }, { garbage: true }),
      ),
      req('duplicate Content-Length', { method: 'PATCH', path: patch, headers: [['Content-Length', '4']], body: 'abcde' }, { garbage: true }),
      req('Content-Length past maxBlobBytes', { method: 'POST', path: `/v2/seed/repo/blobs/uploads/?digest=${sha256('abc')}`, contentLength: '99999999999999', body: 'abc' }, { end: true, garbage: true }),
    ];
    await expectOnly4xx(open, cases, t);
  });

  it('refuses wrong content types, bad ranges and bad numbers', async (t) => {
    const patch = `/v2/seed/repo/blobs/uploads/${session}`;
    const blobDigest = seed.blobs?.[0]?.digest ?? '';
    const cases: Case[] = [];
    // A manifest Content-Type that contradicts the body's mediaType: refused.
    for (const type of ['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.v2+json', 'application/vnd.docker.distribution.manifest.list.v2+json']) {
      cases.push(req(`manifest as ${type}`, { method: 'PUT', path: '/v2/seed/repo/manifests/ct', headers: [['Content-Type', type]], body: seed.bytes }));
    }
    const odd = ['text/plain', 'image/png', 'x'.repeat(5000), ';;;;', 'multipart/form-data; boundary=x', '*/*', ''];
    for (const type of odd) {
      // A body that is no manifest is refused whatever the Content-Type says.
      cases.push(req(`non-manifest as ${type.slice(0, 40)}`, { method: 'PUT', path: '/v2/seed/repo/manifests/ct', headers: [['Content-Type', type]], body: '{"hello":"world"}' }));
      // A Content-Type that is no manifest type defers to the body's own mediaType (oci/manifest.ts,
      // resolveMediaType): a valid manifest is stored as what it says it is.
      cases.push(
        req(`manifest as ${type.slice(0, 40)}`, { method: 'PUT', path: '/v2/seed/repo/manifests/ct', headers: [['Content-Type', type]], body: seed.bytes }, { alsoAllowed: [201] }),
      );
    }
    for (const range of ['abc', '5-1', '-1-3', '0-99999999999999999999', '0--1', 'bytes=0-1,2-3', '0-', '1-1', '0-4294967296', '\u00ff-1']) {
      cases.push(req(`Content-Range ${range}`, { method: 'PATCH', path: patch, headers: [['Content-Range', range]], body: 'abc' }));
    }
    cases.push(req('Content-Range longer than Content-Length', { method: 'PATCH', path: patch, headers: [['Content-Range', '0-9']], body: 'abc' }));
    // Ranges no byte can satisfy: 416.
    for (const range of ['bytes=99999999999-', 'bytes=-0', `bytes=${1 << 20}-${1 << 21}`]) {
      cases.push(req(`Range ${range}`, { method: 'GET', path: `/v2/seed/repo/blobs/${blobDigest}`, headers: [['Range', range]] }));
    }
    // Malformed ranges may be ignored (RFC 9110 §14.2): a full answer is fine, a 5xx is not.
    for (const range of ['bytes=abc', 'bytes=5-1', 'bytes=0-1,2-3', 'items=0-1', 'bytes=--1', 'bytes=99999999999999999999-']) {
      cases.push(req(`Range ${range}`, { method: 'GET', path: `/v2/seed/repo/blobs/${blobDigest}`, headers: [['Range', range]] }, { alsoAllowed: [200, 206] }));
    }
    for (const n of ['-1', '99999999999', '1e3', '0x10', '', 'NaN', '1.5', '1&n=2', '%00', '9'.repeat(400)]) {
      cases.push(
        req(`tags n=${n.slice(0, 20)}`, { method: 'GET', path: `/v2/seed/repo/tags/list?n=${n}` }),
        req(`catalog n=${n.slice(0, 20)}`, { method: 'GET', path: `/v2/_catalog?n=${n}` }),
      );
    }
    await expectOnly4xx(open, cases, t);
  });

  it('refuses random bytes and deeply nested JSON as manifests', async (t) => {
    const next = prng(20240607);
    const types = [OCI_MANIFEST, 'application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.v2+json', 'application/vnd.docker.distribution.manifest.list.v2+json'];
    const cases: Case[] = [];
    for (let i = 0; i < 60; i++) {
      const body = randomBytesFrom(next, 1 + Math.floor(next() * 4096));
      cases.push(req(`random manifest #${i}`, { method: 'PUT', path: `/v2/fuzz/repo/manifests/r${i}`, headers: [['Content-Type', types[i % types.length] ?? OCI_MANIFEST]], body }));
    }
    for (let i = 0; i < 30; i++) {
      // Random JSON values: well-formed, never a manifest.
      const value = (depth: number): unknown => {
        const r = next();
        if (depth > 4 || r < 0.3) return r < 0.1 ? null : r < 0.2 ? Math.floor(next() * 1e6) : randomBytesFrom(next, 8).toString('hex');
        if (r < 0.65) return Array.from({ length: Math.floor(next() * 4) }, () => value(depth + 1));
        return Object.fromEntries(Array.from({ length: Math.floor(next() * 4) }, (_, k) => [`k${k}`, value(depth + 1)]));
      };
      cases.push(req(`random JSON #${i}`, { method: 'PUT', path: `/v2/fuzz/repo/manifests/j${i}`, headers: [['Content-Type', OCI_MANIFEST]], body: JSON.stringify(value(0)) }));
    }
    for (const depth of [1000, 100_000, 1_000_000]) {
      const arrays = `${'['.repeat(depth)}${']'.repeat(depth)}`;
      const objects = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
      cases.push(
        req(`nested arrays ${depth}`, { method: 'PUT', path: '/v2/fuzz/repo/manifests/deep', headers: [['Content-Type', OCI_MANIFEST]], body: arrays }),
        req(`nested objects ${depth}`, { method: 'PUT', path: '/v2/fuzz/repo/manifests/deep', headers: [['Content-Type', OCI_MANIFEST]], body: objects }),
        req(`manifest with a nested config ${depth}`, {
          method: 'PUT',
          path: '/v2/fuzz/repo/manifests/deep',
          headers: [['Content-Type', OCI_MANIFEST]],
          body: `{"schemaVersion":2,"mediaType":"${OCI_MANIFEST}","config":${objects},"layers":${arrays}}`,
        }),
        req(`index with a nested subject ${depth}`, {
          method: 'PUT',
          path: '/v2/fuzz/repo/manifests/deep',
          headers: [['Content-Type', 'application/vnd.oci.image.index.v1+json']],
          body: `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[],"subject":${objects}}`,
        }),
      );
    }
    await expectOnly4xx(open, cases, t);
  });

  it('refuses garbage credentials and JWTs with 401, on the registry and the token endpoint', async (t) => {
    const b64 = (s: string): string => Buffer.from(s).toString('base64');
    const b64url = (s: string): string => Buffer.from(s).toString('base64url');
    const forged = `${b64url('{"alg":"none","typ":"JWT"}')}.${b64url('{"iss":"berth","sub":"alice","aud":"berth","exp":9999999999,"access":[{"type":"repository","name":"seed/repo","actions":["*"]}]}')}.`;
    const hs256 = `${b64url('{"alg":"HS256","typ":"JWT"}')}.${b64url('{"sub":"alice","access":[]}')}.${b64url('not-a-mac')}`;
    const authorizations = [
      'Bearer x.y.z',
      `Bearer ${'A'.repeat(10_240)}`,
      `Bearer ${forged}`,
      `Bearer ${hs256}`,
      `Bearer ${b64url('{"alg":"ES256"}')}.${b64url('{'.repeat(5000))}.${b64url('sig')}`,
      'Bearer ....',
      'Bearer a.b',
      'Bearer',
      'Bearer  ',
      'Basic !!!',
      `Basic ${b64('nocolon')}`,
      `Basic ${b64(':')}`,
      `Basic ${b64(`alice:${'x'.repeat(5000)}`)}`,
      `Basic ${b64('alice\u0000:pw')}`,
      'Digest username="alice", realm="x"',
      'Negotiate YIIBhwYGKwYBBQUCoIIBezCCAXegMDAuBgkqhkiC9xIBAgIGCSqGSIb3EgECAgYKKwYBBAGCNwICHgYKKwYBBAGCNwICCg==',
      '\u00ff\u00fe',
    ];
    const cases: Case[] = [];
    for (const authorization of authorizations) {
      const h: [string, string][] = [['Authorization', authorization]];
      const label = authorization.slice(0, 30);
      cases.push(
        req(`GET /v2/ ${label}`, { method: 'GET', path: '/v2/', headers: h }),
        req(`GET manifest ${label}`, { method: 'GET', path: '/v2/seed/repo/manifests/v1', headers: h }),
        req(`PUT manifest ${label}`, { method: 'PUT', path: '/v2/seed/repo/manifests/v1', headers: [...h, ['Content-Type', seed.mediaType]], body: seed.bytes }),
        req(`POST upload ${label}`, { method: 'POST', path: '/v2/seed/repo/blobs/uploads/', headers: h }),
        req(`DELETE manifest ${label}`, { method: 'DELETE', path: `/v2/seed/repo/manifests/${seed.digest}`, headers: h }),
        req(`catalog ${label}`, { method: 'GET', path: '/v2/_catalog', headers: h }),
      );
      if (authorization.startsWith('Basic ')) {
        cases.push(req(`GET /token ${label}`, { method: 'GET', path: '/token?service=berth&scope=repository:seed/repo:pull', headers: h }));
      }
    }
    const form = (body: string, type = 'application/x-www-form-urlencoded'): RequestSpec => ({ method: 'POST', path: '/token', headers: [['Content-Type', type]], body });
    cases.push(
      req('token: wrong password', form('grant_type=password&service=berth&client_id=t&username=alice&password=nope')),
      req('token: garbage refresh token', form('grant_type=refresh_token&service=berth&client_id=t&refresh_token=x.y.z')),
      req('token: forged refresh token', form(`grant_type=refresh_token&service=berth&client_id=t&refresh_token=${forged}`)),
      req('token: unknown grant', form('grant_type=implicit&service=berth')),
      req('token: no grant', form('')),
      req('token: percent garbage', form('%%%&&&===&grant_type=%zz')),
      req('token: JSON body', form('{"grant_type":"password"}', 'application/json')),
      req('token: form past the limit', form(`grant_type=password&username=alice&password=${'p'.repeat(20_000)}`)),
      req('token: huge scope', form(`grant_type=password&service=berth&client_id=t&username=alice&password=nope&scope=${'repository:a:pull '.repeat(400)}`)),
      req('token: NUL in user', form('grant_type=password&service=berth&client_id=t&username=al%00ice&password=x')),
    );
    await expectOnly4xx(token, cases, t);
  });

  it('wrote nothing outside the data directories', () => {
    assert.deepEqual(listTree(sandbox, [openDir, tokenDir]), treeBefore);
  });
});
