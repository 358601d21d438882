/** Conformance: repositories (existence, catalog, catalog by artifact type). */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { MEDIA_TYPES, blob, imageManifest, indexManifest, push } from './builders.js';
import { assertPagination, storeTest, type StoreFactory } from './suite-support.js';

export function repositoryTests(factory: StoreFactory): void {
  const test = storeTest(factory);

  describe('repositories', () => {
    test('a new store is empty', async (store) => {
      assert.equal(await store.repositoryExists('library/app'), false);
      assert.deepEqual(await store.listRepositories({}), { items: [], more: false });
      assert.deepEqual(await store.listRepositories({ limit: 0 }), { items: [], more: false });
      assert.deepEqual(await store.listBlobs({}), { items: [], more: false });
      assert.deepEqual(await store.countByArtifactType(), []);
      assert.deepEqual(await store.readEvents(0, 10), []);
    });

    test('a repository exists while it holds a blob link or a manifest', async (store) => {
      const layer = blob('layer');
      const m = imageManifest('app', 'm');
      await store.linkBlob('app', layer);
      assert.equal(await store.repositoryExists('app'), true);
      assert.equal(await store.repositoryExists('other'), false);
      await store.unlinkBlob('app', layer.digest);
      assert.equal(await store.repositoryExists('app'), false, 'no content left');
      assert.deepEqual((await store.listRepositories({})).items, []);

      await store.putManifest(push(m, { tags: ['latest'] }));
      assert.equal(await store.repositoryExists('app'), true);
      await store.linkBlob('app', layer);
      await store.deleteManifest('app', m.digest);
      assert.equal(await store.repositoryExists('app'), true, 'the blob link remains');
      await store.unlinkBlob('app', layer.digest);
      assert.equal(await store.repositoryExists('app'), false);

      await store.putManifest(push(m, { tags: ['latest'] }));
      await store.deleteTag('app', 'latest');
      assert.equal(await store.repositoryExists('app'), true, 'an untagged manifest remains');
    });

    test('an open upload does not make a repository exist', async (store) => {
      await store.createUpload({
        id: 'u1',
        repo: 'pending',
        algorithm: 'sha256',
        offset: 0,
        createdAt: 1,
        updatedAt: 1,
        driverState: null,
      });
      assert.equal(await store.repositoryExists('pending'), false);
      assert.deepEqual((await store.listRepositories({})).items, []);
    });

    test('lists repositories in byte order with n/last pagination', async (store) => {
      const names = ['b', 'a_b', 'a0', 'a/b', 'a.b', 'a-b', 'a', 'a/b/c', 'library/ubuntu'];
      for (const name of names) await store.linkBlob(name, blob('shared'));
      const expected = ['a', 'a-b', 'a.b', 'a/b', 'a/b/c', 'a0', 'a_b', 'b', 'library/ubuntu'];
      await assertPagination((page) => store.listRepositories(page), expected, (name) => name);
      assert.deepEqual(await store.listRepositories({ last: 'a.', limit: 2 }), { items: ['a.b', 'a/b'], more: true }, 'last need not exist');
    });

    test('lists repositories holding given artifact types', async (store) => {
      const helm = { configMediaType: MEDIA_TYPES.helmConfig };
      await store.putManifest(push(imageManifest('charts/one', 'c1', helm)));
      await store.putManifest(push(imageManifest('charts/one', 'c2', helm)));
      await store.putManifest(push(imageManifest('mixed', 'c3', helm)));
      await store.putManifest(push(imageManifest('mixed', 'img')));
      await store.putManifest(push(imageManifest('images', 'img2')));
      await store.putManifest(push(imageManifest('sboms', 's', { artifactType: MEDIA_TYPES.sbom })));
      await store.putManifest(push(indexManifest('indexes', 'i')));

      const list = (types: string[]) => store.listRepositoriesWithTypes(types, {});
      assert.deepEqual(await list([MEDIA_TYPES.helmConfig]), { items: ['charts/one', 'mixed'], more: false });
      assert.deepEqual((await list([MEDIA_TYPES.helmConfig, MEDIA_TYPES.sbom])).items, ['charts/one', 'mixed', 'sboms']);
      assert.deepEqual((await list([MEDIA_TYPES.imageConfig])).items, ['images', 'mixed']);
      assert.deepEqual((await list([MEDIA_TYPES.imageIndex])).items, ['indexes']);
      assert.deepEqual(await list(['application/x-unknown']), { items: [], more: false });
      assert.deepEqual(await list([]), { items: [], more: false }, 'an empty type list matches nothing');
      await assertPagination(
        (page) => store.listRepositoriesWithTypes([MEDIA_TYPES.helmConfig, MEDIA_TYPES.sbom, MEDIA_TYPES.imageConfig], page),
        ['charts/one', 'images', 'mixed', 'sboms'],
        (name) => name,
      );
    });
  });
}
