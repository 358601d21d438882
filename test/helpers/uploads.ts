/**
 * Blob upload requests for tests (distribution-spec: "Pushing blobs"): open a
 * session, PATCH and PUT chunks, and check what the registry stored.
 */
import assert from 'node:assert/strict';
import type { RegistryClient } from './client.js';

/** One open upload session, as the POST answered it. */
export interface Session {
  location: string;
  uuid: string;
}

/** `location` with query parameters appended (it may already carry some). */
export function withQuery(location: string, params: Record<string, string>): string {
  const sep = location.includes('?') ? '&' : '?';
  return `${location}${sep}${new URLSearchParams(params).toString()}`;
}

/** `bytes` as a request body of unknown length, sent in pieces of `piece` bytes (chunked transfer encoding). */
export function streamedBody(bytes: Buffer, piece = 100_000): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (let at = 0; at < bytes.length; at += piece) controller.enqueue(bytes.subarray(at, at + piece));
      controller.close();
    },
  });
}

/**
 * @example
 * const up = uploadClient(client);
 * const { location } = await up.start('team/app');
 */
export function uploadClient(client: RegistryClient) {
  return {
    /** POST …/uploads/ and assert a 202 session. */
    async start(repo: string, query = ''): Promise<Session> {
      const res = await client.request(`/v2/${repo}/blobs/uploads/${query}`, { method: 'POST' });
      assert.equal(res.status, 202, await res.text());
      const location = res.headers.get('location');
      const uuid = res.headers.get('docker-upload-uuid');
      assert.ok(location !== null && uuid !== null);
      return { location, uuid };
    },
    patch(location: string, bytes: Buffer, range?: string, headers: Record<string, string> = {}): Promise<Response> {
      return client.request(location, {
        method: 'PATCH',
        headers: {
          'content-type': 'application/octet-stream',
          ...(range === undefined ? {} : { 'content-range': range }),
          ...headers,
        },
        body: bytes,
      });
    },
    put(location: string, digest: string, bytes?: Buffer, headers: Record<string, string> = {}): Promise<Response> {
      const init: RequestInit = { method: 'PUT', headers: { 'content-type': 'application/octet-stream', ...headers } };
      if (bytes !== undefined) init.body = bytes;
      return client.request(withQuery(location, { digest }), init);
    },
    /** A monolithic push (POST …/uploads/?digest= with the body), asserted 201. */
    async pushWhole(repo: string, b: { digest: string; bytes: Buffer }): Promise<void> {
      const res = await client.request(`/v2/${repo}/blobs/uploads/?digest=${b.digest}`, {
        method: 'POST',
        body: b.bytes,
      });
      assert.equal(res.status, 201, await res.text());
    },
    /** GET …/blobs/<digest> and assert the bytes. */
    async assertStored(repo: string, b: { digest: string; bytes: Buffer }): Promise<void> {
      const res = await client.request(`/v2/${repo}/blobs/${b.digest}`);
      assert.equal(res.status, 200, await res.clone().text());
      assert.equal(res.headers.get('docker-content-digest'), b.digest);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), b.bytes);
    },
    async assertUnknown(repo: string, digest: string): Promise<void> {
      const res = await client.request(`/v2/${repo}/blobs/${digest}`, { method: 'HEAD' });
      assert.equal(res.status, 404);
    },
  };
}
