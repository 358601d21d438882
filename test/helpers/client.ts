/**
 * A small OCI Distribution client for tests: each call is one real HTTP
 * request to the server, and returns the raw Response for assertions.
 */
import assert from 'node:assert/strict';
import type { Blob as TestBlob, Pushable } from './builders.js';

export interface ErrorBody {
  errors: { code: string; message: string; detail?: unknown }[];
}

export class RegistryClient {
  constructor(readonly baseUrl: string, readonly headers: Record<string, string> = {}) {}

  /** Any request, relative to the base URL (absolute URLs pass through). */
  request(path: string, init: RequestInit = {}): Promise<Response> {
    const url = /^https?:/.test(path) ? path : `${this.baseUrl}${path}`;
    const headers = { ...this.headers, ...(init.headers as Record<string, string> | undefined) };
    return fetch(url, { redirect: 'manual', ...init, headers });
  }

  /** Monolithic POST-then-PUT blob upload. */
  async pushBlob(repo: string, blob: TestBlob): Promise<Response> {
    const start = await this.request(`/v2/${repo}/blobs/uploads/`, { method: 'POST' });
    assert.equal(start.status, 202, `POST upload: ${start.status} ${await start.clone().text()}`);
    const location = start.headers.get('location');
    assert.ok(location);
    const sep = location.includes('?') ? '&' : '?';
    return this.request(`${location}${sep}digest=${blob.digest}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body: blob.bytes,
    });
  }

  /** Pushes a manifest (by tag or digest). */
  pushManifest(repo: string, reference: string, m: Pushable, query = ''): Promise<Response> {
    return this.request(`/v2/${repo}/manifests/${reference}${query}`, {
      method: 'PUT',
      headers: { 'content-type': m.mediaType },
      body: m.bytes,
    });
  }

  /** Pushes every blob an artifact needs, then its manifest; asserts success. */
  async push(repo: string, item: Pushable, reference: string = item.digest): Promise<Response> {
    for (const child of item.children ?? []) await this.push(repo, child);
    for (const blob of item.blobs ?? []) {
      const res = await this.pushBlob(repo, blob);
      assert.equal(res.status, 201, `blob push: ${res.status} ${await res.clone().text()}`);
    }
    const res = await this.pushManifest(repo, reference, item);
    assert.equal(res.status, 201, `manifest push: ${res.status} ${await res.clone().text()}`);
    return res;
  }

  async getJson<T>(path: string, init: RequestInit = {}): Promise<{ res: Response; body: T }> {
    const res = await this.request(path, init);
    return { res, body: (await res.json()) as T };
  }
}

/** Asserts an OCI error response: status, and `code` of the first error. */
export async function assertError(res: Response, status: number, code: string): Promise<ErrorBody> {
  const text = await res.text();
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status}: ${text}`);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  const body = JSON.parse(text) as ErrorBody;
  assert.ok(Array.isArray(body.errors) && body.errors.length > 0, 'errors array');
  assert.equal(body.errors[0]?.code, code, text);
  return body;
}
