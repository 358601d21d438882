import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, envPath, loadConfig, parseListen } from './load.js';
import { ConfigSchema } from './schema.js';

function file(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'berth-config-')), 'berth.yaml');
  writeFileSync(path, text);
  return path;
}

describe('loadConfig', () => {
  it('fills every default when given nothing', () => {
    const c = loadConfig();
    assert.equal(c.listen, '127.0.0.1:5000');
    assert.equal(c.dataDir, './berth-data');
    assert.deepEqual(c.storage, { driver: 'filesystem', fsync: true, directWrites: true });
    assert.equal(c.metadata.driver, 'sqlite');
    assert.equal(c.registry.maxManifestBytes, 4 * 1024 * 1024);
    assert.equal(c.registry.deleteEnabled, true);
  });

  it('applies file, then BERTH_ environment, then overrides', () => {
    const path = file('listen: 127.0.0.1:6000\nregistry:\n  deleteEnabled: false\n  maxTagsPerPush: 5\n');
    const c = loadConfig({
      file: path,
      env: { BERTH_REGISTRY__MAX_TAGS_PER_PUSH: '7', BERTH_LISTEN: '127.0.0.1:6001', PATH: '/bin' },
      overrides: { listen: '127.0.0.1:6002' },
    });
    assert.equal(c.registry.deleteEnabled, false);
    assert.equal(c.registry.maxTagsPerPush, 7);
    assert.equal(c.listen, '127.0.0.1:6002');
  });

  it('maps environment names to config paths', () => {
    assert.equal(envPath('BERTH_REGISTRY__MAX_MANIFEST_BYTES'), 'registry.maxManifestBytes');
    assert.equal(envPath('BERTH_DATA_DIR'), 'dataDir');
    assert.equal(envPath('BERTH_STORAGE__FORCE_PATH_STYLE'), 'storage.forcePathStyle');
    assert.equal(envPath('BERTH_STORAGE__DIRECT_WRITES'), 'storage.directWrites');
  });

  it('gives every option an environment name that maps back to it', () => {
    /** Every object key path in a schema, through unions and arrays. */
    const paths = (schema: unknown, prefix: string[]): string[][] => {
      const node = schema as { properties?: Record<string, unknown>; anyOf?: unknown[]; items?: unknown };
      const own = Object.entries(node.properties ?? {}).flatMap(([key, child]) => [[...prefix, key], ...paths(child, [...prefix, key])]);
      return [...own, ...(node.anyOf ?? []).flatMap((branch) => paths(branch, prefix)), ...(node.items ? paths(node.items, prefix) : [])];
    };
    const all = paths(ConfigSchema, []);
    assert.ok(all.length > 50, `found ${all.length} options`);
    for (const path of all) {
      const env = `BERTH_${path.map((key) => key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()).join('__')}`;
      assert.equal(envPath(env), path.join('.'), env);
    }
  });

  it('turns direct writes off from the environment', () => {
    const c = loadConfig({ env: { BERTH_STORAGE__DIRECT_WRITES: 'false' } });
    assert.deepEqual(c.storage, { driver: 'filesystem', fsync: true, directWrites: false });
  });

  it('takes registry.hashThreads as auto (the default) or a count, from a file or the environment', () => {
    assert.equal(loadConfig().registry.hashThreads, 'auto');
    assert.equal(loadConfig({ env: { BERTH_REGISTRY__HASH_THREADS: '0' } }).registry.hashThreads, 0);
    assert.equal(loadConfig({ file: file('registry:\n  hashThreads: 3\n') }).registry.hashThreads, 3);
    const wants = { '-1': 'must be >= 0', many: 'must be integer', '1.5': 'must be integer' };
    for (const [bad, want] of Object.entries(wants)) {
      // One line naming what each branch of the union wants.
      const line = new RegExp(`^  registry\\.hashThreads: must be "auto", or ${want}$`, 'm');
      assert.throws(() => loadConfig({ env: { BERTH_REGISTRY__HASH_THREADS: bad } }), line, bad);
    }
  });

  it('names the file and every bad field', () => {
    const path = file('registry:\n  maxManifestBytes: lots\n  frobnicate: true\nlog:\n  level: loud\n');
    assert.throws(
      () => loadConfig({ file: path }),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.message.includes(path) &&
        err.message.includes('registry.maxManifestBytes') &&
        err.message.includes('registry.frobnicate: unknown option') &&
        err.message.includes('log.level'),
    );
  });

  it('says which storage and metadata drivers exist', () => {
    assert.throws(() => loadConfig({ overrides: { 'storage.driver': 'ftp' } }), /storage\.driver: "ftp" is not one of filesystem, memory, s3/);
    assert.throws(() => loadConfig({ overrides: { metadata: { driver: 'postgres' } } }), /metadata\.url: is required/);
  });

  it('refuses an unreadable file and YAML that is not a mapping', () => {
    assert.throws(() => loadConfig({ file: '/nonexistent/berth.yaml' }), /cannot read config file/);
    assert.throws(() => loadConfig({ file: file('- a\n- b\n') }), /must hold a mapping/);
  });

  it('parses listen addresses', () => {
    assert.deepEqual(parseListen('127.0.0.1:5000'), { host: '127.0.0.1', port: 5000 });
    assert.deepEqual(parseListen('[::1]:5001'), { host: '::1', port: 5001 });
    assert.deepEqual(parseListen(':5002'), { host: '0.0.0.0', port: 5002 });
    assert.throws(() => parseListen('localhost'), ConfigError);
    assert.throws(() => parseListen('h:70000'), ConfigError);
  });
});
