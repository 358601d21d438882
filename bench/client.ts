/**
 * OCI Distribution operations for the bench, each verifying the answer
 * (status, digest headers, bytes) and throwing {@link WrongAnswer} otherwise.
 *
 * Headers the bench relies on beyond the spec's MUSTs: `Docker-Content-Digest`
 * on blob PUT/HEAD/GET, on mounts and on manifest PUT/GET/HEAD (every Docker
 * client reads it), and `Content-Length` on blob and manifest GET/HEAD.
 */
import { createHttpClient, type Body, type HttpClient, type HttpResult } from './http-client.js';
import { sha256 } from './data.js';
import { createRawGetPool } from './raw-get.js';
import { check, expectHeader, expectStatus, requireHeader } from './verify.js';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const ACCEPT_MANIFESTS = [
  OCI_MANIFEST,
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');
const MAX_PAGES = 10_000;

/** A blob to push: its digest and size known up front, its bytes streamed. */
export interface BlobUpload {
  digest: string;
  size: number;
  body: Body;
}

export interface RegistryClient {
  readonly http: HttpClient;
  /** `GET /v2/` must answer 200. */
  ping(): Promise<void>;
  /** POST then PUT `?digest=` with the whole body (distribution-spec: monolithic upload). */
  pushBlob(repo: string, blob: BlobUpload): Promise<void>;
  /**
   * POST, PATCHes of `chunkSize` bytes with Content-Range, then an empty PUT
   * `?digest=` (distribution-spec: chunked upload). The registry checks the
   * bytes against `blob.digest`, known up front as for {@link pushBlob}.
   */
  pushBlobChunked(
    repo: string,
    blob: { digest: string; size: number },
    chunks: Iterable<Body>,
    chunkSize: number,
  ): Promise<void>;
  /** POST `?mount=&from=`; requires 201 (a 202 means the registry did not mount). */
  mountBlob(repo: string, from: string, digest: string): Promise<void>;
  headBlob(repo: string, digest: string, size: number): Promise<void>;
  /** GET a blob, hashing it as it arrives (over raw-get.ts's lean sockets); returns the byte count. */
  pullBlob(repo: string, digest: string, size: number): Promise<number>;
  /** GET `Range: bytes=start-end` (inclusive); returns the body. */
  getRange(repo: string, digest: string, start: number, end: number, total: number): Promise<Buffer>;
  /** PUT a manifest; returns its digest. */
  putManifest(repo: string, reference: string, body: Buffer, mediaType?: string): Promise<string>;
  /** GET a manifest and check it is byte-exact. */
  getManifest(repo: string, reference: string, expected: Buffer, mediaType?: string): Promise<void>;
  headManifest(repo: string, digest: string, size: number): Promise<void>;
  /** Every tag of a repository, following `Link` pages. */
  listTags(repo: string): Promise<string[]>;
  /** Every repository, following `Link` pages. */
  catalog(pageSize: number): Promise<string[]>;
  close(): void;
}

/**
 * Creates a verifying registry client with a keep-alive pool of `concurrency` sockets.
 *
 * @example
 * const reg = createRegistryClient('http://127.0.0.1:5000', 8);
 * await reg.pushBlob('bench/a', { digest, size, body });
 */
export function createRegistryClient(origin: string, concurrency: number): RegistryClient {
  const http = createHttpClient(origin, concurrency);
  const pulls = createRawGetPool(origin, concurrency);

  async function startUpload(repo: string, what: string): Promise<string> {
    const res = await http.request({ method: 'POST', target: `/v2/${repo}/blobs/uploads/` });
    expectStatus(res, 202, what);
    return requireHeader(res, 'Location', what);
  }

  function withDigest(location: string, digest: string): string {
    const url = http.resolve(location);
    url.searchParams.set('digest', digest);
    return url.pathname + url.search;
  }

  function expectDigestHeader(res: HttpResult, digest: string, what: string): void {
    expectHeader(res, 'Docker-Content-Digest', digest, what);
  }

  async function pushBlob(repo: string, blob: BlobUpload): Promise<void> {
    const what = `push blob ${blob.digest} to ${repo}`;
    const location = await startUpload(repo, `${what} (POST)`);
    const res = await http.request({
      method: 'PUT',
      target: withDigest(location, blob.digest),
      headers: { 'content-type': 'application/octet-stream', 'content-length': blob.size },
      body: blob.body,
    });
    expectStatus(res, 201, `${what} (PUT)`);
    requireHeader(res, 'Location', `${what} (PUT)`);
    expectDigestHeader(res, blob.digest, `${what} (PUT)`);
  }

  async function pushBlobChunked(
    repo: string,
    { digest, size }: { digest: string; size: number },
    chunks: Iterable<Body>,
    chunkSize: number,
  ): Promise<void> {
    const what = `chunked push of ${digest} to ${repo}`;
    let location = await startUpload(repo, `${what} (POST)`);
    let offset = 0;
    for (const chunk of chunks) {
      const length = Math.min(chunkSize, size - offset);
      check(length > 0, () => `${what}: more chunks than bytes`);
      const end = offset + length - 1;
      const res = await http.request({
        method: 'PATCH',
        target: location,
        headers: {
          'content-type': 'application/octet-stream',
          'content-range': `${offset}-${end}`,
          'content-length': length,
        },
        body: chunk,
      });
      expectStatus(res, 202, `${what} (PATCH ${offset}-${end})`);
      expectHeader(res, 'Range', `0-${end}`, `${what} (PATCH ${offset}-${end})`);
      location = requireHeader(res, 'Location', `${what} (PATCH)`);
      offset = end + 1;
    }
    check(offset === size, () => `${what}: sent ${offset} of ${size} bytes`);
    const res = await http.request({ method: 'PUT', target: withDigest(location, digest) });
    expectStatus(res, 201, `${what} (PUT)`);
    requireHeader(res, 'Location', `${what} (PUT)`);
    expectDigestHeader(res, digest, `${what} (PUT)`);
  }

  async function mountBlob(repo: string, from: string, digest: string): Promise<void> {
    const what = `mount ${digest} from ${from} into ${repo}`;
    const query = new URLSearchParams({ mount: digest, from }).toString();
    const res = await http.request({ method: 'POST', target: `/v2/${repo}/blobs/uploads/?${query}` });
    expectStatus(res, 201, what);
    requireHeader(res, 'Location', what);
    expectDigestHeader(res, digest, what);
  }

  async function headBlob(repo: string, digest: string, size: number): Promise<void> {
    const what = `HEAD blob ${digest} in ${repo}`;
    const res = await http.request({ method: 'HEAD', target: `/v2/${repo}/blobs/${digest}` });
    expectStatus(res, 200, what);
    expectHeader(res, 'Content-Length', String(size), what);
    expectDigestHeader(res, digest, what);
  }

  async function pullBlob(repo: string, digest: string, size: number): Promise<number> {
    const what = `GET blob ${digest} from ${repo}`;
    const res = await pulls.get(`/v2/${repo}/blobs/${digest}`);
    expectStatus(res, 200, what);
    expectHeader(res, 'Content-Length', String(size), what);
    expectDigestHeader(res, digest, what);
    check(res.bytes === size, () => `${what}: received ${res.bytes} bytes, expected ${size}`);
    check(res.digest === digest, () => `${what}: body hashes to ${String(res.digest)}`);
    return res.bytes;
  }

  async function getRange(repo: string, digest: string, start: number, end: number, total: number): Promise<Buffer> {
    const what = `GET blob ${digest} bytes=${start}-${end}`;
    const res = await http.request({
      method: 'GET',
      target: `/v2/${repo}/blobs/${digest}`,
      headers: { range: `bytes=${start}-${end}` },
    });
    expectStatus(res, 206, what);
    expectHeader(res, 'Content-Range', `bytes ${start}-${end}/${total}`, what);
    check(res.bytes === end - start + 1, () => `${what}: received ${res.bytes} bytes`);
    return res.body;
  }

  async function putManifest(repo: string, reference: string, body: Buffer, mediaType = OCI_MANIFEST): Promise<string> {
    const what = `PUT manifest ${repo}:${reference}`;
    const digest = sha256(body);
    const res = await http.request({
      method: 'PUT',
      target: `/v2/${repo}/manifests/${reference}`,
      headers: { 'content-type': mediaType },
      body,
    });
    expectStatus(res, 201, what);
    requireHeader(res, 'Location', what);
    expectDigestHeader(res, digest, what);
    return digest;
  }

  async function getManifest(
    repo: string,
    reference: string,
    expected: Buffer,
    mediaType = OCI_MANIFEST,
  ): Promise<void> {
    const what = `GET manifest ${repo}:${reference}`;
    const res = await http.request({
      method: 'GET',
      target: `/v2/${repo}/manifests/${reference}`,
      headers: { accept: ACCEPT_MANIFESTS },
    });
    expectStatus(res, 200, what);
    expectHeader(res, 'Content-Type', mediaType, what);
    expectDigestHeader(res, sha256(expected), what);
    check(res.body.equals(expected), () => `${what}: body differs from what was pushed`);
  }

  async function headManifest(repo: string, digest: string, size: number): Promise<void> {
    const what = `HEAD manifest ${repo}@${digest}`;
    const res = await http.request({
      method: 'HEAD',
      target: `/v2/${repo}/manifests/${digest}`,
      headers: { accept: ACCEPT_MANIFESTS },
    });
    expectStatus(res, 200, what);
    expectHeader(res, 'Content-Length', String(size), what);
    expectDigestHeader(res, digest, what);
  }

  async function listPaged(first: string, key: 'tags' | 'repositories', what: string): Promise<string[]> {
    const all: string[] = [];
    let target: string | undefined = first;
    for (let page = 0; target !== undefined && page < MAX_PAGES; page++) {
      const res: HttpResult = await http.request({ method: 'GET', target });
      expectStatus(res, 200, what);
      const parsed = parseJson(res.body, what) as Record<string, unknown>;
      const items = parsed[key];
      // distribution-spec: an empty list may be returned as null by older registries.
      check(items === null || Array.isArray(items), () => `${what}: "${key}" is not a list`);
      for (const item of items ?? []) all.push(String(item));
      target = nextLink(res);
    }
    return all;
  }

  return {
    http,
    ping: async () => {
      const res = await http.request({ method: 'GET', target: '/v2/' });
      expectStatus(res, 200, 'GET /v2/');
    },
    pushBlob,
    pushBlobChunked,
    mountBlob,
    headBlob,
    pullBlob,
    getRange,
    putManifest,
    getManifest,
    headManifest,
    listTags: (repo) => listPaged(`/v2/${repo}/tags/list`, 'tags', `GET tags of ${repo}`),
    catalog: (pageSize) => listPaged(`/v2/_catalog?n=${pageSize}`, 'repositories', 'GET catalog'),
    close: () => {
      http.close();
      pulls.close();
    },
  };
}

function parseJson(body: Buffer, what: string): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    check(false, () => `${what}: body is not JSON`);
  }
}

/** The target of a `Link: <...>; rel="next"` header (RFC 5988), if any. */
function nextLink(res: HttpResult): string | undefined {
  const raw = res.headers.link;
  const link = Array.isArray(raw) ? raw.join(', ') : raw;
  if (link === undefined) return undefined;
  const match = /<([^>]+)>\s*;\s*rel="?next"?/.exec(link);
  return match?.[1];
}
