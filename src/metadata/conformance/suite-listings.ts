/** Conformance: manifest listings, referrers and per-type counts. */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { ManifestListing, ManifestRecord, ReferrerRecord } from '../store.js';
import { MEDIA_TYPES, imageManifest, indexManifest, push } from './builders.js';
import { assertPagination, byteSorted, storeTest, type StoreFactory } from './suite-support.js';

/** The referrers API's view of a manifest record. */
function asReferrer(m: ManifestRecord, artifactType: string | null): ReferrerRecord {
  return { digest: m.digest, mediaType: m.mediaType, size: m.size, artifactType, annotations: m.annotations };
}

function byDigest<T extends { digest: string }>(items: T[]): T[] {
  const order = byteSorted(items.map((item) => item.digest));
  return order.map((digest) => items.find((item) => item.digest === digest) ?? assert.fail(digest));
}

export function listingTests(factory: StoreFactory): void {
  const test = storeTest(factory);

  describe('listings', () => {
    test('listManifests orders by digest with sorted tags and referrer counts', async (store) => {
      const image = imageManifest('app', 'image');
      const chart = imageManifest('app', 'chart', { configMediaType: MEDIA_TYPES.helmConfig });
      const idx = indexManifest('app', 'idx');
      const sig = imageManifest('app', 'sig', { subject: image.digest, configMediaType: MEDIA_TYPES.signatureConfig });
      const sbom = imageManifest('app', 'sbom', { subject: image.digest, artifactType: MEDIA_TYPES.sbom });
      await store.putManifest(push(image, { tags: ['v1', 'latest', 'B'] }));
      await store.putManifest(push(chart, { tags: ['chart-1.0.0'] }));
      await store.putManifest(push(idx, { manifests: [image.digest] }));
      await store.putManifest(push(sig));
      await store.putManifest(push(sbom));
      await store.putManifest(push(imageManifest('elsewhere', 'ref', { subject: image.digest })));

      const listing = (m: ManifestRecord, tags: string[], referrerCount = 0): ManifestListing => ({ ...m, tags, referrerCount });
      const all = byDigest([
        listing(image, ['B', 'latest', 'v1'], 2),
        listing(chart, ['chart-1.0.0']),
        listing(idx, []),
        listing(sig, []),
        listing(sbom, []),
      ]);
      await assertPagination((page) => store.listManifests('app', page), all, (m) => m.digest);

      const types: string[] = [MEDIA_TYPES.helmConfig, MEDIA_TYPES.imageIndex];
      const filtered = all.filter((m) => m.artifactType !== null && types.includes(m.artifactType));
      assert.equal(filtered.length, 2);
      await assertPagination((page) => store.listManifests('app', { ...page, artifactTypes: types }), filtered, (m) => m.digest);
      assert.deepEqual(await store.listManifests('app', { artifactTypes: [] }), { items: [], more: false });
      assert.deepEqual(await store.listManifests('app', { artifactTypes: ['application/x-none'] }), { items: [], more: false });
      assert.deepEqual(await store.listManifests('empty', {}), { items: [], more: false });
    });

    test('listReferrers lists manifests with the subject and the artifact type the referrers API shows', async (store) => {
      const subject = imageManifest('app', 'subject').digest;
      const sbom = imageManifest('app', 'sbom', {
        subject,
        artifactType: MEDIA_TYPES.sbom,
        configMediaType: MEDIA_TYPES.empty,
        annotations: { 'org.opencontainers.image.created': '2024-01-01T00:00:00Z' },
      });
      const sig = imageManifest('app', 'sig', { subject, configMediaType: MEDIA_TYPES.signatureConfig });
      const plainIndex = indexManifest('app', 'plain-index', { subject });
      const bundle = indexManifest('app', 'bundle', { subject, artifactType: MEDIA_TYPES.bundle });
      for (const m of [sbom, sig, plainIndex, bundle]) await store.putManifest(push(m));
      await store.putManifest(push(imageManifest('app', 'unrelated')));
      await store.putManifest(push(imageManifest('app', 'other-subject', { subject: imageManifest('app', 'x').digest })));
      await store.putManifest(push(imageManifest('elsewhere', 'sbom', { subject, artifactType: MEDIA_TYPES.sbom })));

      assert.equal(plainIndex.artifactType, MEDIA_TYPES.imageIndex, 'identified as an index…');
      const all = byDigest([
        asReferrer(sbom, MEDIA_TYPES.sbom),
        asReferrer(sig, MEDIA_TYPES.signatureConfig),
        asReferrer(plainIndex, null), // …but the referrers API shows no artifactType
        asReferrer(bundle, MEDIA_TYPES.bundle),
      ]);
      await assertPagination((page) => store.listReferrers('app', subject, page), all, (r) => r.digest);

      const filter = (artifactType: string) => store.listReferrers('app', subject, { artifactType });
      assert.deepEqual(await filter(MEDIA_TYPES.sbom), { items: [asReferrer(sbom, MEDIA_TYPES.sbom)], more: false });
      assert.deepEqual((await filter(MEDIA_TYPES.signatureConfig)).items, [asReferrer(sig, MEDIA_TYPES.signatureConfig)]);
      assert.deepEqual((await filter(MEDIA_TYPES.imageIndex)).items, [], 'filters on the raw type, not the identified one');
      assert.deepEqual((await filter(MEDIA_TYPES.empty)).items, [], 'config type does not match when artifactType is set');
      assert.deepEqual(await store.listReferrers('app', imageManifest('app', 'none').digest, {}), { items: [], more: false });

      for (const m of [sig, sbom]) await store.putManifest(push(imageManifest('app', `${m.digest}-2`, { subject, configMediaType: MEDIA_TYPES.signatureConfig })));
      const signatures = (await store.listReferrers('app', subject, {})).items.filter((r) => r.artifactType === MEDIA_TYPES.signatureConfig);
      assert.equal(signatures.length, 3);
      await assertPagination(
        (page) => store.listReferrers('app', subject, { ...page, artifactType: MEDIA_TYPES.signatureConfig }),
        signatures,
        (r) => r.digest,
      );
    });

    test('countByArtifactType counts manifests per identified type, registry-wide', async (store) => {
      const unknown: ManifestRecord = { ...indexManifest('a', 'untyped'), artifactType: null };
      await store.putManifest(push(imageManifest('a', 'i1')));
      await store.putManifest(push(imageManifest('b', 'i2')));
      await store.putManifest(push(imageManifest('b', 'c1', { configMediaType: MEDIA_TYPES.helmConfig })));
      await store.putManifest(push(indexManifest('c', 'x')));
      await store.putManifest(push(unknown));
      const counts = await store.countByArtifactType();
      const sorted = [...counts].sort((x, y) => String(x.artifactType).localeCompare(String(y.artifactType)));
      assert.deepEqual(
        sorted,
        [
          { artifactType: MEDIA_TYPES.helmConfig, count: 1 },
          { artifactType: MEDIA_TYPES.imageConfig, count: 2 },
          { artifactType: MEDIA_TYPES.imageIndex, count: 1 },
          { artifactType: null, count: 1 },
        ].sort((x, y) => String(x.artifactType).localeCompare(String(y.artifactType))),
      );
      await store.deleteManifest('b', imageManifest('b', 'i2').digest);
      const after = await store.countByArtifactType();
      assert.equal(after.find((c) => c.artifactType === MEDIA_TYPES.imageConfig)?.count, 1);
    });
  });
}
