import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { constants, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { storageDriverSuite } from './conformance/storage-driver-suite.js';
import type { StorageDriver } from './driver.js';
import { createFilesystemDriver } from './fs-driver.js';

for (const directWrites of [true, false]) {
  storageDriverSuite(directWrites ? 'filesystem' : 'filesystem, page cache only (directWrites: false)', async () => {
    const root = await mkdtemp(join(tmpdir(), 'berth-fs-driver-'));
    const driver = createFilesystemDriver({ root, directWrites });
    return {
      driver,
      cleanup: async () => {
        await driver.close?.();
        await rm(root, { recursive: true, force: true });
      },
    };
  });
}

/** How this process has files under `dir` open: one entry per descriptor, true where it is O_DIRECT. */
async function openModes(dir: string): Promise<boolean[]> {
  const modes: boolean[] = [];
  for (const fd of await readdir('/proc/self/fd')) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
    if (!target.startsWith(dir)) continue;
    const flags = /flags:\s*([0-7]+)/.exec(await readFile(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1];
    modes.push((Number.parseInt(flags ?? '0', 8) & constants.O_DIRECT) !== 0);
  }
  return modes.sort();
}

describe('filesystem driver specifics', () => {
  let parent = '';
  let root = '';
  let driver: StorageDriver | undefined;
  const d = (): StorageDriver => {
    assert.ok(driver);
    return driver;
  };
  const tmpEntries = async (): Promise<string[]> => readdir(join(root, '_tmp')).catch(() => []);

  beforeEach(async () => {
    // The root sits inside its own parent so tests can see anything written beside it.
    parent = await mkdtemp(join(tmpdir(), 'berth-fs-specific-'));
    root = join(parent, 'root');
    driver = createFilesystemDriver({ root });
  });
  afterEach(async () => {
    await driver?.close?.();
    await rm(parent, { recursive: true, force: true });
  });

  it('leaves nothing in _tmp after commit, cancel or putContent', async () => {
    const committed = await d().writer('a/committed', { append: false });
    await committed.write(randomBytes(3 * 1024 * 1024));
    assert.equal((await tmpEntries()).length, 1, 'the writer stages its bytes in _tmp');
    await committed.commit();
    const cancelled = await d().writer('a/cancelled', { append: false });
    await cancelled.write(randomBytes(10));
    await cancelled.cancel();
    await d().putContent('a/put', randomBytes(10));
    const appending = await d().writer('a/committed', { append: true });
    await appending.write(randomBytes(10));
    await appending.cancel();
    assert.deepEqual(await tmpEntries(), []);
  });

  it('does not create the final path before commit', async () => {
    const writer = await d().writer('b/c/file', { append: false });
    await writer.write(randomBytes(2 * 1024 * 1024));
    assert.equal(existsSync(join(root, 'b/c/file')), false);
    await writer.commit();
    assert.equal(existsSync(join(root, 'b/c/file')), true);
  });

  it('truncates an appended file back to its committed size on cancel', async () => {
    const first = randomBytes(1000);
    await d().putContent('u/data', first);
    const writer = await d().writer('u/data', { append: true });
    await writer.write(randomBytes(3 * 1024 * 1024));
    await writer.cancel();
    assert.ok((await d().getContent('u/data')).equals(first));
  });

  it('never writes outside root, and reserves _tmp', async () => {
    for (const bad of ['../escape', '../root-sibling/x', '/tmp/abs', '_tmp/x', '_tmp']) {
      await assert.rejects(d().putContent(bad, randomBytes(1)), /invalid storage path/);
      await assert.rejects(d().writer(bad, { append: true }), /invalid storage path/);
      await assert.rejects(d().delete(bad), /invalid storage path/);
    }
    await d().putContent('inside/file', randomBytes(1));
    assert.deepEqual(await readdir(parent), ['root']);
    assert.deepEqual((await readdir(root)).sort(), ['_tmp', 'inside']);
  });

  it('sweeps temp files older than an hour when created, keeping fresh ones', async () => {
    await mkdir(join(root, '_tmp'), { recursive: true });
    await writeFile(join(root, '_tmp', 'stale'), 'x');
    await writeFile(join(root, '_tmp', 'fresh'), 'x');
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await utimes(join(root, '_tmp', 'stale'), twoHoursAgo, twoHoursAgo);
    const swept = createFilesystemDriver({ root });
    await swept.close?.();
    assert.deepEqual(await tmpEntries(), ['fresh']);
  });

  it('writes what queued behind a write as soon as that write finishes, even when no more chunks come', async () => {
    const writer = await d().writer('w/paused', { append: true });
    const MiB = 1024 * 1024;
    // 3.5 MiB in 64 KiB chunks: the first MiB starts a write, the rest queues behind it.
    for (let i = 0; i < 56; i++) await writer.write(randomBytes(64 * 1024));
    // The client pauses here (no more writes, no commit): the queue must still reach the file.
    const file = join(root, 'w', 'paused');
    let size = 0;
    for (let i = 0; i < 400 && size < 3.5 * MiB; i++) {
      size = (await stat(file)).size;
      if (size < 3.5 * MiB) await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(size, 3.5 * MiB);
    await writer.commit();
  });

  it('writes past the page cache (O_DIRECT) by default, through it with directWrites: false', async () => {
    const data = randomBytes(2 * 1024 * 1024 + 5);
    const writer = await d().writer('direct/on', { append: false });
    assert.equal(writer.copiesChunks, true, 'a direct writer copies into its staging buffer');
    await writer.write(data);
    assert.deepEqual(await openModes(root), [false, true], 'the temp file, once buffered and once direct');
    await writer.commit();
    assert.deepEqual(await openModes(root), [], 'both closed');
    assert.ok((await d().getContent('direct/on')).equals(data));

    const cached = createFilesystemDriver({ root, directWrites: false });
    const other = await cached.writer('direct/off', { append: false });
    assert.equal(other.copiesChunks, false, 'a page-cache writer queues the chunks themselves');
    await other.write(data);
    assert.deepEqual(await openModes(root), [false]);
    await other.commit();
    assert.ok((await cached.getContent('direct/off')).equals(data));
    await cached.close?.();
  });

  it('gives writers past the eight staging buffers the page cache, and every file its exact bytes', async () => {
    const files = Array.from({ length: 11 }, (_, i) => ({ path: `many/${i}`, data: randomBytes(1024 * 1024 + 4096 * i + i) }));
    const writers = await Promise.all(files.map((f) => d().writer(f.path, { append: false })));
    const chunk = 100_003; // crosses the 1 MiB staging buffers and the 4 KiB blocks at odd places
    for (let at = 0; at < 1024 * 1024 + 4096 * 11; at += chunk) {
      await Promise.all(files.map((f, i) => writers[i]!.write(f.data.subarray(at, at + chunk))));
    }
    const modes = await openModes(root);
    assert.equal(modes.filter((direct) => direct).length, 8);
    assert.equal(modes.filter((direct) => !direct).length, 11);
    await Promise.all(writers.map((w, i) => (i === 3 ? w.cancel() : w.commit())));
    for (const [i, f] of files.entries()) {
      if (i === 3) assert.equal(await d().stat(f.path), undefined);
      else assert.ok((await d().getContent(f.path)).equals(f.data), f.path);
    }
    const again = await Promise.all(files.slice(0, 8).map((f) => d().writer(`${f.path}.again`, { append: false })));
    await Promise.all(again.map((w) => w.write(randomBytes(8192))));
    assert.equal((await openModes(root)).filter((direct) => direct).length, 8, 'committed and cancelled writers gave their buffers back');
    await Promise.all(again.map((w) => w.cancel()));
  });

  it('appends directly from an aligned size, through the page cache from an unaligned one', async () => {
    const MiB = 1024 * 1024;
    const parts = [randomBytes(MiB), randomBytes(MiB + 100), randomBytes(3 * MiB)];
    let committed = 0;
    const modes: boolean[][] = [];
    for (const part of parts) {
      const writer = await d().writer('append/data', { append: true, expectedSize: committed, deferSync: true });
      await writer.write(part);
      modes.push(await openModes(root));
      await writer.commit();
      committed += part.length;
    }
    assert.deepEqual(modes, [[false, true], [false, true], [false]]);
    assert.ok((await d().getContent('append/data')).equals(Buffer.concat(parts)));
  });

  it('works with fsync off', async () => {
    const fast = createFilesystemDriver({ root, fsync: false });
    const writer = await fast.writer('f/file', { append: false });
    const data = randomBytes(5000);
    await writer.write(data);
    await writer.commit();
    assert.ok((await fast.getContent('f/file')).equals(data));
    await fast.close?.();
  });
});
