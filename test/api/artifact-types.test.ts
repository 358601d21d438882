/**
 * Artifact types over HTTP: identification recorded on push, per-repository
 * governance (allowed, denied, schema-invalid, bad layer type, missing
 * annotation, warning) and the typed listing API with filters and pagination.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { RegistryClient, assertError } from '../helpers/client.js';
import { artifact, blob, image, type Pushable } from '../helpers/builders.js';

const HELM_CONFIG = 'application/vnd.cncf.helm.config.v1+json';
const HELM_LAYER = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';

function helmChart(config: Record<string, unknown>, layerType = HELM_LAYER): Pushable {
  return artifact(HELM_CONFIG, {
    asConfig: true,
    config: blob(JSON.stringify(config), HELM_CONFIG),
    layers: [blob(200, layerType)],
    annotations: { 'org.opencontainers.image.created': '2025-05-01T10:00:00Z' },
  });
}

interface ArtifactsBody {
  name: string;
  artifacts: {
    digest: string;
    type: string | null;
    artifactType: string | null;
    tags: string[];
    created: string;
    size: number;
    referrerCount: number;
    summaryLayers: { digest: string; title?: string }[];
  }[];
}

describe('artifact types over HTTP', () => {
  let server: TestServer;
  let client: RegistryClient;
  before(async () => {
    server = await startTestServer({
      config: {
        typeRules: [
          { repositories: 'charts/**', allow: ['helm-chart'], validate: { schema: true, layers: true } },
          {
            repositories: 'signed/*',
            allow: ['oci-image', 'application/vnd.example.*'],
            validate: { requiredAnnotations: ['org.opencontainers.image.source'] },
          },
          { repositories: 'nothing/**', deny: ['*'] },
        ],
      },
    });
    client = new RegistryClient(server.url);
  });
  after(() => server.close());

  it('accepts an allowed, valid type and records its identity', async () => {
    const chart = helmChart({ apiVersion: 'v2', name: 'web', version: '1.2.3' });
    await client.push('charts/web', chart, '1.2.3');
    const { body } = await client.getJson<ArtifactsBody>('/v2/_berth/repositories/charts/web/artifacts');
    assert.equal(body.artifacts.length, 1);
    const [a] = body.artifacts;
    assert.equal(a?.digest, chart.digest);
    assert.equal(a?.type, 'helm-chart');
    assert.equal(a?.artifactType, HELM_CONFIG);
    assert.deepEqual(a?.tags, ['1.2.3']);
    assert.equal(a?.created, '2025-05-01T10:00:00.000Z'.replace('.000', ''));
    assert.equal(a?.size, chart.size + (chart.blobs ?? []).reduce((n, b) => n + b.size, 0));
  });

  it('refuses a type the repository does not accept with DENIED naming the type and the rule', async () => {
    const img = image();
    for (const b of img.blobs ?? []) await client.pushBlob('charts/web', b);
    const res = await client.pushManifest('charts/web', 'latest', img);
    const body = await assertError(res, 403, 'DENIED');
    const detail = JSON.stringify(body.errors[0]?.detail);
    assert.match(detail, /oci-image/);
    assert.match(detail, /helm-chart/);
    const none = artifact('application/vnd.example.thing.v1+json');
    for (const b of none.blobs ?? []) await client.pushBlob('nothing/here', b);
    await assertError(await client.pushManifest('nothing/here', 'v1', none), 403, 'DENIED');
  });

  it('refuses a config that fails the type schema, with the JSON pointer', async () => {
    const chart = helmChart({ apiVersion: 'v2', name: 'web' }); // no version
    for (const b of chart.blobs ?? []) await client.pushBlob('charts/bad', b);
    const body = await assertError(await client.pushManifest('charts/bad', 'x', chart), 400, 'MANIFEST_INVALID');
    assert.match(JSON.stringify(body.errors[0]?.detail), /version/);
  });

  it('refuses layers outside the type declared media types', async () => {
    const chart = helmChart({ apiVersion: 'v2', name: 'web', version: '1.0.0' }, 'application/x-unexpected');
    for (const b of chart.blobs ?? []) await client.pushBlob('charts/layers', b);
    const body = await assertError(await client.pushManifest('charts/layers', 'x', chart), 400, 'MANIFEST_INVALID');
    assert.match(JSON.stringify(body.errors[0]?.detail), /application\/x-unexpected/);
  });

  it('requires the annotations a rule lists', async () => {
    const bare = image();
    for (const b of bare.blobs ?? []) await client.pushBlob('signed/app', b);
    const body = await assertError(await client.pushManifest('signed/app', 'v1', bare), 400, 'MANIFEST_INVALID');
    assert.match(JSON.stringify(body.errors[0]?.detail), /org\.opencontainers\.image\.source/);
    const annotated = image({ annotations: { 'org.opencontainers.image.source': 'https://example.com/app' } });
    await client.push('signed/app', annotated, 'v1');
  });

  it('accepts a discouraged media type with a Warning: 299 header, and refuses an invalid one', async () => {
    const odd = artifact('application/vnd.Example.Thing.v1+json');
    const res = await client.push('misc/warn', odd, 'v1');
    assert.match(res.headers.get('warning') ?? '', /^299 - ".+"/);
    const broken = artifact('not a media type');
    for (const b of broken.blobs ?? []) await client.pushBlob('misc/warn', b);
    await assertError(await client.pushManifest('misc/warn', 'v2', broken), 400, 'MANIFEST_INVALID');
  });

  it('lists types with per-type counts, and unknown media types separately', async () => {
    await client.push('misc/unknown', artifact('application/vnd.acme.unheard-of.v1+json'), 'v1');
    const { body } = await client.getJson<{
      types: { name: string; count: number; icon: string; displayName: string }[];
      unregistered: { mediaType: string; count: number }[];
    }>('/v2/_berth/types');
    assert.ok(body.types.length >= 25);
    const helm = body.types.find((t) => t.name === 'helm-chart');
    assert.equal(helm?.count, 1);
    assert.match(helm?.icon ?? '', /^<svg/);
    assert.ok(body.unregistered.some((u) => u.mediaType === 'application/vnd.acme.unheard-of.v1+json' && u.count === 1));
    const one = await client.getJson<{ name: string; count: number }>('/v2/_berth/types/helm-chart');
    assert.equal(one.body.count, 1);
    await assertError(await client.request('/v2/_berth/types/no-such-type'), 404, 'UNSUPPORTED');
    const icon = await client.request('/v2/_berth/types/helm-chart/icon.svg');
    assert.equal(icon.headers.get('content-type'), 'image/svg+xml');
  });

  it('filters the catalog and artifact listings by type, and paginates with Link', async () => {
    await client.push('apps/one', image(), 'v1');
    await client.push('apps/one', image(), 'v2');
    await client.push('apps/one', artifact('application/vnd.dev.cosign.artifact.sig.v1+json'), 'sig');
    const charts = await client.getJson<{ repositories: string[] }>('/v2/_berth/catalog?type=helm-chart');
    assert.deepEqual(charts.body.repositories, ['charts/web']);
    const images = await client.getJson<{ repositories: string[] }>('/v2/_berth/repositories?type=oci-image');
    assert.deepEqual(images.body.repositories, ['apps/one', 'signed/app']);
    const byMediaType = await client.getJson<ArtifactsBody>(
      `/v2/_berth/repositories/apps/one/artifacts?type=${encodeURIComponent('application/vnd.dev.cosign.artifact.sig.v1+json')}`,
    );
    assert.equal(byMediaType.body.artifacts.length, 1);

    const seen: string[] = [];
    let next: string | undefined = '/v2/_berth/repositories/apps/one/artifacts?type=oci-image&n=1';
    for (let i = 0; next !== undefined && i < 5; i++) {
      const page: { res: Response; body: ArtifactsBody } = await client.getJson<ArtifactsBody>(next);
      assert.equal(page.body.artifacts.length, 1);
      seen.push(...page.body.artifacts.map((a) => a.digest));
      next = /<([^>]+)>; rel="next"/.exec(page.res.headers.get('link') ?? '')?.[1];
    }
    assert.equal(seen.length, 2);
    assert.equal(new Set(seen).size, 2);
    await assertError(await client.request('/v2/_berth/catalog?type=no-such-type'), 400, 'UNSUPPORTED');
    await assertError(await client.request('/v2/_berth/repositories/never/pushed/artifacts'), 404, 'NAME_UNKNOWN');
  });

  it('lists README layers and referrer counts for a UI', async () => {
    const subject = image();
    await client.push('docs/site', subject, 'v1');
    const readme = blob('# Hello\n\nThis is the README.', 'text/markdown');
    const doc = artifact('application/vnd.example.docs.v1', {
      subject,
      layers: [readme, blob(50, 'application/octet-stream')],
    });
    await client.push('docs/site', doc);
    const { body } = await client.getJson<ArtifactsBody>('/v2/_berth/repositories/docs/site/artifacts');
    const listedDoc = body.artifacts.find((a) => a.digest === doc.digest);
    assert.deepEqual(listedDoc?.summaryLayers.map((l) => l.digest), [readme.digest]);
    const listedSubject = body.artifacts.find((a) => a.digest === subject.digest);
    assert.equal(listedSubject?.referrerCount, 1);
  });

  it('lists _berth in extension discovery', async () => {
    const { body } = await client.getJson<{ extensions: { name: string; endpoints: string[] }[] }>('/v2/_oci/ext/discover');
    assert.deepEqual(body.extensions.map((e) => e.name).sort(), ['_berth', '_oci']);
  });
});
