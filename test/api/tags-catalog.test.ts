/**
 * Listing tags and the catalog over HTTP (distribution-spec: "Listing Tags",
 * end-8a/8b, `/v2/_catalog`): byte order, `n`/`last`, `Link` exactly when
 * more remain, and the pagination errors.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { assertError, RegistryClient } from '../helpers/client.js';
import { image } from '../helpers/builders.js';

/** Byte-order ("ASCIIbetical", Go's sort.Strings) comparison. */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** The `<url>` of a `Link: <url>; rel="next"` header, or undefined. */
function nextUrl(res: Response): string | undefined {
  const link = res.headers.get('link');
  if (link === null) return undefined;
  const m = /^<([^>]+)>;\s*rel="next"$/.exec(link);
  assert.ok(m?.[1], `Link header: ${link}`);
  return m[1];
}

interface Walk {
  items: string[];
  pages: number;
}

/** Follows `Link` headers from `path`, collecting `key` of each page. */
async function walk(client: RegistryClient, path: string, key: 'tags' | 'repositories', n: number): Promise<Walk> {
  const items: string[] = [];
  let pages = 0;
  let url: string | undefined = path;
  while (url !== undefined) {
    const res = await client.request(url);
    assert.equal(res.status, 200, url);
    const body = (await res.json()) as Record<string, string[]>;
    const page = body[key] ?? [];
    assert.ok(page.length <= n, `${url}: ${page.length} > ${n}`);
    const next = nextUrl(res);
    if (next !== undefined) {
      assert.equal(page.length, n, `a page with a Link is full: ${url}`);
      const q = new URL(next, 'http://x').searchParams;
      assert.equal(q.get('n'), String(n));
      assert.equal(q.get('last'), page.at(-1));
    }
    items.push(...page);
    pages += 1;
    url = next;
  }
  return { items, pages };
}

const TAGS = [
  'latest',
  'Latest',
  'LATEST',
  '1.9',
  '1.10',
  '1.2.3',
  '_private',
  'a-b',
  'a.b',
  'a_b',
  'Z',
  'z',
  '0',
  '9',
];

describe('tags list and catalog', () => {
  let server: TestServer;
  let client: RegistryClient;
  const sorted = [...TAGS].sort(byteOrder);
  before(async () => {
    server = await startTestServer();
    client = new RegistryClient(server.url);
    const img = image();
    await client.push('lists/many', img, TAGS[0]);
    const query = `?${TAGS.slice(1)
      .map((t) => `tag=${t}`)
      .join('&')}`;
    assert.equal((await client.pushManifest('lists/many', img.digest, img, query)).status, 201);
  });
  after(() => server.close());

  describe('tags', () => {
    it('lists every tag in byte order, without a Link', async () => {
      const res = await client.request('/v2/lists/many/tags/list');
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      assert.equal(res.headers.get('link'), null);
      const body = (await res.json()) as { name: string; tags: string[] };
      assert.equal(body.name, 'lists/many');
      assert.deepEqual(body.tags, sorted);
      // Spot-check the order the spec asks for: uppercase first, 1.10 before 1.9.
      assert.ok(body.tags.indexOf('LATEST') < body.tags.indexOf('Latest'));
      assert.ok(body.tags.indexOf('Latest') < body.tags.indexOf('latest'));
      assert.ok(body.tags.indexOf('Z') < body.tags.indexOf('_private'));
      assert.ok(body.tags.indexOf('_private') < body.tags.indexOf('a-b'));
      assert.ok(body.tags.indexOf('1.10') < body.tags.indexOf('1.9'));
    });

    for (const n of [1, 2, 3, 5, TAGS.length - 1]) {
      it(`n=${n}: following Link returns every tag exactly once, in order`, async () => {
        const { items, pages } = await walk(client, `/v2/lists/many/tags/list?n=${n}`, 'tags', n);
        assert.deepEqual(items, sorted);
        assert.equal(pages, Math.ceil(TAGS.length / n));
      });
    }

    it('n equal to or above the count answers everything with no Link', async () => {
      for (const n of [TAGS.length, TAGS.length + 1, 100000]) {
        const res = await client.request(`/v2/lists/many/tags/list?n=${n}`);
        assert.equal(res.headers.get('link'), null);
        assert.deepEqual(((await res.json()) as { tags: string[] }).tags, sorted);
      }
    });

    it('n=0 is an empty list with no Link', async () => {
      const res = await client.request('/v2/lists/many/tags/list?n=0');
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('link'), null);
      assert.deepEqual(await res.json(), { name: 'lists/many', tags: [] });
    });

    it('last alone starts strictly after the given tag', async () => {
      const res = await client.request('/v2/lists/many/tags/list?last=Z');
      assert.deepEqual(((await res.json()) as { tags: string[] }).tags, sorted.slice(sorted.indexOf('Z') + 1));
      const unlisted = await client.request('/v2/lists/many/tags/list?last=b');
      assert.deepEqual(
        ((await unlisted.json()) as { tags: string[] }).tags,
        sorted.filter((t) => byteOrder(t, 'b') > 0),
      );
      const end = await client.request('/v2/lists/many/tags/list?last=zzz');
      assert.equal(end.status, 200);
      assert.deepEqual(((await end.json()) as { tags: string[] }).tags, []);
    });

    it('n with last pages from that tag', async () => {
      const res = await client.request('/v2/lists/many/tags/list?n=2&last=1.9');
      const start = sorted.indexOf('1.9') + 1;
      assert.deepEqual(((await res.json()) as { tags: string[] }).tags, sorted.slice(start, start + 2));
      assert.equal(nextUrl(res), `/v2/lists/many/tags/list?n=2&last=${sorted[start + 1]}`);
    });

    it('an invalid n is PAGINATION_NUMBER_INVALID', async () => {
      for (const n of ['-1', 'abc', '', '1.5', '1e3', '0x10']) {
        await assertError(await client.request(`/v2/lists/many/tags/list?n=${n}`), 400, 'PAGINATION_NUMBER_INVALID');
      }
    });

    it('an unknown repository is NAME_UNKNOWN, whatever the parameters', async () => {
      for (const q of ['', '?n=0', '?n=5', '?last=a', '?n=2&last=a']) {
        await assertError(await client.request(`/v2/lists/never-pushed/tags/list${q}`), 404, 'NAME_UNKNOWN');
      }
    });

    it('a repository whose tags were all deleted lists none', async () => {
      const img = image();
      await client.push('lists/emptied', img, 'only');
      assert.equal((await client.request('/v2/lists/emptied/manifests/only', { method: 'DELETE' })).status, 202);
      const res = await client.request('/v2/lists/emptied/tags/list');
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { name: 'lists/emptied', tags: [] });
    });
  });

  describe('catalog', () => {
    const repos = ['cat/b', 'cat/a', 'cat/b0', 'cat/a/b', 'cat/a-b', 'cat/a.b', 'cat/a_b', 'cat/a__b', 'cat0'];
    before(async () => {
      for (const repo of repos) await client.push(repo, image(), 'v1');
    });

    async function all(): Promise<string[]> {
      const res = await client.request('/v2/_catalog');
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('link'), null);
      return ((await res.json()) as { repositories: string[] }).repositories;
    }

    it('lists every repository in byte order', async () => {
      const names = await all();
      assert.deepEqual(names, [...names].sort(byteOrder));
      assert.equal(new Set(names).size, names.length);
      for (const repo of [...repos, 'lists/many']) assert.ok(names.includes(repo), repo);
    });

    for (const n of [1, 2, 4]) {
      it(`n=${n}: following Link returns every repository exactly once`, async () => {
        const expected = await all();
        const { items } = await walk(client, `/v2/_catalog?n=${n}`, 'repositories', n);
        assert.deepEqual(items, expected);
      });
    }

    it('n=0 is an empty list with no Link; last alone; invalid n', async () => {
      const zero = await client.request('/v2/_catalog?n=0');
      assert.equal(zero.status, 200);
      assert.equal(zero.headers.get('link'), null);
      assert.deepEqual(await zero.json(), { repositories: [] });
      const expected = await all();
      const after = await client.request('/v2/_catalog?last=cat/a');
      assert.deepEqual(
        ((await after.json()) as { repositories: string[] }).repositories,
        expected.filter((r) => byteOrder(r, 'cat/a') > 0),
      );
      for (const n of ['-1', 'abc'])
        await assertError(await client.request(`/v2/_catalog?n=${n}`), 400, 'PAGINATION_NUMBER_INVALID');
    });
  });
});
