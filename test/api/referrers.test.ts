/**
 * The referrers API over HTTP (distribution-spec: "Listing Referrers",
 * end-12a/12b, "Referrers Tag Schema", "Enabling the Referrers API"). The
 * server pages referrers two at a time so pagination is always exercised.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { assertError, RegistryClient } from '../helpers/client.js';
import { artifact, blob, image, index, rawManifest, sha256, type Pushable } from '../helpers/builders.js';
import { MEDIA_TYPE_OCI_INDEX } from '../../src/oci/media-types.js';

interface Referrer {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

interface Listing {
  manifests: Referrer[];
  pages: number;
  filtersApplied: (string | null)[];
}

const PAGE = 2;
const SBOM = 'application/vnd.example.sbom.v1';
const SIG = 'application/vnd.example.sig.v1';

/** Follows `Link` headers from the first referrers page, checking each page's shape. */
async function listReferrers(client: RegistryClient, repo: string, subject: string, query = ''): Promise<Listing> {
  const out: Listing = { manifests: [], pages: 0, filtersApplied: [] };
  let url: string | undefined = `/v2/${repo}/referrers/${subject}${query}`;
  while (url !== undefined) {
    const res = await client.request(url);
    assert.equal(res.status, 200, url);
    assert.equal(res.headers.get('content-type'), MEDIA_TYPE_OCI_INDEX);
    const body = (await res.json()) as { schemaVersion: number; mediaType: string; manifests: Referrer[] };
    assert.equal(body.schemaVersion, 2);
    assert.equal(body.mediaType, MEDIA_TYPE_OCI_INDEX);
    assert.ok(Array.isArray(body.manifests));
    assert.ok(body.manifests.length <= PAGE, `page of ${body.manifests.length}`);
    out.manifests.push(...body.manifests);
    out.pages += 1;
    out.filtersApplied.push(res.headers.get('oci-filters-applied'));
    const link = res.headers.get('link');
    if (link === null) break;
    const m = /^<([^>]+)>;\s*rel="next"$/.exec(link);
    assert.ok(m?.[1], `Link: ${link}`);
    assert.equal(body.manifests.length, PAGE, 'a page with a Link is full');
    url = m[1];
  }
  return out;
}

/** The descriptor the referrers API must show for a pushed manifest. */
function expectedDescriptor(m: Pushable): Referrer {
  const json = m.json as {
    artifactType?: string;
    config?: { mediaType: string };
    annotations?: Record<string, string>;
  };
  const d: Referrer = { mediaType: m.mediaType, digest: m.digest, size: m.size };
  const type = json.artifactType !== undefined && json.artifactType !== '' ? json.artifactType : json.config?.mediaType;
  if (type !== undefined) d.artifactType = type;
  if (json.annotations !== undefined) d.annotations = json.annotations;
  return d;
}

function byDigest(a: { digest: string }, b: { digest: string }): number {
  return a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0;
}

describe('referrers', () => {
  let server: TestServer;
  let client: RegistryClient;
  before(async () => {
    server = await startTestServer({ config: { 'registry.referrersPageSize': PAGE } });
    client = new RegistryClient(server.url);
  });
  after(() => server.close());

  it('is an empty index for a subject never pushed and in an unknown repository', async () => {
    await client.push('refs/empty', image(), 'v1');
    for (const repo of ['refs/empty', 'refs/never-pushed']) {
      const { manifests, pages } = await listReferrers(client, repo, sha256('nothing'));
      assert.deepEqual(manifests, []);
      assert.equal(pages, 1);
    }
    const filtered = await listReferrers(client, 'refs/never-pushed', sha256('nothing'), `?artifactType=${SBOM}`);
    assert.deepEqual(filtered.manifests, []);
  });

  it('lists every kind of referrer with artifactType and annotations, once, across pages', async () => {
    const subject = image();
    await client.push('refs/kinds', subject, 'v1');
    const sbom = artifact(SBOM, {
      subject,
      annotations: { 'org.opencontainers.image.created': '2026-01-01T00:00:00Z', 'org.example.format': 'json' },
    });
    const sig = artifact(SIG, { subject });
    const configTyped = artifact('application/vnd.example.config-typed.v1+json', { subject, asConfig: true });
    const plainImage = image({ subject });
    const typedIndex = index([image()], {
      subject,
      artifactType: 'application/vnd.example.bundle.v1',
      annotations: { 'org.example.k': 'v' },
    });
    const untypedIndex = index([image()], { subject, annotations: { 'org.example.untyped': 'yes' } });
    const referrers = [sbom, sig, configTyped, plainImage, typedIndex, untypedIndex];
    for (const r of referrers) {
      const res = await client.push('refs/kinds', r);
      assert.equal(res.headers.get('oci-subject'), subject.digest);
    }
    const { manifests, pages, filtersApplied } = await listReferrers(client, 'refs/kinds', subject.digest);
    assert.equal(pages, Math.ceil(referrers.length / PAGE));
    assert.deepEqual(filtersApplied, Array<null>(pages).fill(null));
    assert.deepEqual([...manifests].sort(byDigest), referrers.map(expectedDescriptor).sort(byDigest));
    const untyped = manifests.find((m) => m.digest === untypedIndex.digest);
    assert.ok(untyped !== undefined && !('artifactType' in untyped), 'an index without artifactType has none');
    assert.equal(
      manifests.find((m) => m.digest === plainImage.digest)?.artifactType,
      'application/vnd.oci.image.config.v1+json',
    );
    assert.equal(manifests.find((m) => m.digest === typedIndex.digest)?.mediaType, MEDIA_TYPE_OCI_INDEX);
  });

  it('?artifactType= filters, says so in OCI-Filters-Applied, and pages', async () => {
    const subject = image();
    await client.push('refs/filter', subject);
    const sboms = [0, 1, 2].map(() => artifact(SBOM, { subject }));
    const sigs = [0, 1].map(() => artifact(SIG, { subject }));
    const helm = artifact('application/vnd.example.thing.config.v1+json', { subject, asConfig: true });
    for (const r of [...sboms, ...sigs, helm]) await client.push('refs/filter', r);

    const onlySboms = await listReferrers(client, 'refs/filter', subject.digest, `?artifactType=${SBOM}`);
    assert.deepEqual(onlySboms.manifests.map((m) => m.digest).sort(), sboms.map((s) => s.digest).sort());
    assert.equal(onlySboms.pages, 2);
    assert.deepEqual(onlySboms.filtersApplied, ['artifactType', 'artifactType']);

    const onlySigs = await listReferrers(
      client,
      'refs/filter',
      subject.digest,
      `?artifactType=${encodeURIComponent(SIG)}`,
    );
    assert.deepEqual(onlySigs.manifests.map((m) => m.digest).sort(), sigs.map((s) => s.digest).sort());

    // `+` in a query is a literal plus (RFC 3986), whether or not the client encodes it.
    for (const q of [
      'application/vnd.example.thing.config.v1+json',
      'application%2Fvnd.example.thing.config.v1%2Bjson',
    ]) {
      const onlyHelm = await listReferrers(client, 'refs/filter', subject.digest, `?artifactType=${q}`);
      assert.deepEqual(
        onlyHelm.manifests.map((m) => m.digest),
        [helm.digest],
        q,
      );
    }

    const none = await listReferrers(
      client,
      'refs/filter',
      subject.digest,
      '?artifactType=application/vnd.example.none',
    );
    assert.deepEqual(none.manifests, []);
    assert.deepEqual(none.filtersApplied, ['artifactType']);
  });

  it('an invalid digest is 400 DIGEST_INVALID', async () => {
    await client.push('refs/invalid', image(), 'v1');
    for (const d of ['sha256:abc', 'latest', `sha256:${'A'.repeat(64)}`, `md5:${'a'.repeat(32)}`]) {
      await assertError(await client.request(`/v2/refs/invalid/referrers/${d}`), 400, 'DIGEST_INVALID');
    }
    await assertError(
      await client.request(`/v2/refs/invalid/referrers/${sha256('x')}?n=-1`),
      400,
      'PAGINATION_NUMBER_INVALID',
    );
  });

  it('a deleted referrer disappears; the subject deleted leaves its referrers listed', async () => {
    const subject = image();
    await client.push('refs/delete', subject, 'v1');
    const a = artifact(SIG, { subject });
    const b = artifact(SIG, { subject });
    await client.push('refs/delete', a);
    await client.push('refs/delete', b, 'sig-b');
    assert.equal((await client.request(`/v2/refs/delete/manifests/${a.digest}`, { method: 'DELETE' })).status, 202);
    assert.deepEqual(
      (await listReferrers(client, 'refs/delete', subject.digest)).manifests.map((m) => m.digest),
      [b.digest],
    );
    // Deleting only a tag of a referrer keeps it.
    assert.equal((await client.request('/v2/refs/delete/manifests/sig-b', { method: 'DELETE' })).status, 202);
    assert.deepEqual(
      (await listReferrers(client, 'refs/delete', subject.digest)).manifests.map((m) => m.digest),
      [b.digest],
    );
    assert.equal(
      (await client.request(`/v2/refs/delete/manifests/${subject.digest}`, { method: 'DELETE' })).status,
      202,
    );
    assert.deepEqual(
      (await listReferrers(client, 'refs/delete', subject.digest)).manifests.map((m) => m.digest),
      [b.digest],
    );
  });

  it('referrers are per repository', async () => {
    const subject = image();
    await client.push('refs/repo-a', subject);
    await client.push('refs/repo-b', subject);
    const sig = artifact(SIG, { subject });
    await client.push('refs/repo-a', sig);
    assert.equal((await listReferrers(client, 'refs/repo-a', subject.digest)).manifests.length, 1);
    assert.deepEqual((await listReferrers(client, 'refs/repo-b', subject.digest)).manifests, []);
  });

  describe('referrers tag schema (an older client fallback)', () => {
    /** The index an older client keeps under `sha256-<hex>`. */
    function fallbackIndex(items: Pushable[]): Pushable {
      const json = { schemaVersion: 2, mediaType: MEDIA_TYPE_OCI_INDEX, manifests: items.map(expectedDescriptor) };
      return { ...rawManifest(json, MEDIA_TYPE_OCI_INDEX), json };
    }

    function referrersTag(digest: string): string {
      return digest.replace(':', '-');
    }

    it('a referrer listed in the sha256-<hex> index appears once', async () => {
      const subject = image();
      await client.push('refs/tagschema', subject, 'v1');
      const sig = artifact(SIG, { subject });
      await client.push('refs/tagschema', sig);
      const res = await client.pushManifest('refs/tagschema', referrersTag(subject.digest), fallbackIndex([sig]));
      assert.equal(res.status, 201, await res.clone().text());
      const { manifests } = await listReferrers(client, 'refs/tagschema', subject.digest);
      assert.deepEqual(manifests, [expectedDescriptor(sig)]);
      const filtered = await listReferrers(client, 'refs/tagschema', subject.digest, `?artifactType=${SIG}`);
      assert.deepEqual(filtered.manifests, [expectedDescriptor(sig)]);
    });

    it('with more referrers than a page, each is listed once across pages', async () => {
      const subject = image();
      await client.push('refs/tagschema-paged', subject, 'v1');
      const sigs = [0, 1, 2, 3, 4].map(() => artifact(SIG, { subject }));
      for (const s of sigs) await client.push('refs/tagschema-paged', s);
      await client.push('refs/tagschema-paged', fallbackIndex(sigs), referrersTag(subject.digest));
      const { manifests } = await listReferrers(client, 'refs/tagschema-paged', subject.digest);
      assert.deepEqual(manifests.map((m) => m.digest).sort(), sigs.map((s) => s.digest).sort());
    });

    it('the fallback index itself is not a referrer, and entries without this subject are ignored', async () => {
      const subject = image();
      await client.push('refs/tagschema-foreign', subject, 'v1');
      const other = image();
      await client.push('refs/tagschema-foreign', other);
      const sig = artifact(SIG, { subject });
      const unrelated = artifact(SIG, { subject: other });
      const noSubject = artifact(SIG);
      for (const m of [sig, unrelated, noSubject]) await client.push('refs/tagschema-foreign', m);
      await client.push(
        'refs/tagschema-foreign',
        fallbackIndex([sig, unrelated, noSubject]),
        referrersTag(subject.digest),
      );
      const { manifests } = await listReferrers(client, 'refs/tagschema-foreign', subject.digest);
      assert.deepEqual(manifests, [expectedDescriptor(sig)]);
    });
  });
});

describe('referrers with an empty artifactType', () => {
  let server: TestServer;
  let client: RegistryClient;
  before(async () => {
    server = await startTestServer();
    client = new RegistryClient(server.url);
  });
  after(() => server.close());

  it('treats "" as missing: the push is accepted and the referrer shows the config media type', async () => {
    const subject = image();
    await client.push('empty/at', subject, 'v1');
    const config = blob('{"kind":"sbom"}', 'application/vnd.example.sbom.config.v1+json');
    const ref = artifact('', { subject, config });
    const res = await client.push('empty/at', ref);
    assert.equal(res.headers.get('oci-subject'), subject.digest);
    const { body } = await client.getJson<{ manifests: { digest: string; artifactType?: string }[] }>(
      `/v2/empty/at/referrers/${subject.digest}`,
    );
    assert.deepEqual(body.manifests.map((m) => [m.digest, m.artifactType]), [[ref.digest, 'application/vnd.example.sbom.config.v1+json']]);
  });
});
