import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { storageDriverSuite } from './conformance/storage-driver-suite.js';
import type { StorageDriver } from './driver.js';
import { createFilesystemDriver } from './fs-driver.js';
import { openFilesUnder } from '../../test/helpers/open-files.js';

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

const MiB = 1024 * 1024;

/** How this process has files under `dir` open: one entry per descriptor, true where it is O_DIRECT. */
function openModes(dir: string): boolean[] {
  return openFilesUnder(dir)
    .map((file) => file.direct)
    .sort();
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
    assert.deepEqual(openModes(root), [false, true], 'the temp file, once buffered and once direct');
    await writer.commit();
    assert.deepEqual(openModes(root), [], 'both closed');
    assert.ok((await d().getContent('direct/on')).equals(data));

    const cached = createFilesystemDriver({ root, directWrites: false });
    const other = await cached.writer('direct/off', { append: false });
    assert.equal(other.copiesChunks, false, 'a page-cache writer queues the chunks themselves');
    await other.write(data);
    assert.deepEqual(openModes(root), [false]);
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
    const modes = openModes(root);
    assert.equal(modes.filter((direct) => direct).length, 8);
    assert.equal(modes.filter((direct) => !direct).length, 11);
    await Promise.all(writers.map((w, i) => (i === 3 ? w.cancel() : w.commit())));
    for (const [i, f] of files.entries()) {
      if (i === 3) assert.equal(await d().stat(f.path), undefined);
      else assert.ok((await d().getContent(f.path)).equals(f.data), f.path);
    }
    const again = await Promise.all(files.slice(0, 8).map((f) => d().writer(`${f.path}.again`, { append: false })));
    await Promise.all(again.map((w) => w.write(randomBytes(8192))));
    assert.equal(openModes(root).filter((direct) => direct).length, 8, 'committed and cancelled writers gave their buffers back');
    await Promise.all(again.map((w) => w.cancel()));
  });

  it('appends directly from an aligned size, through the page cache from an unaligned one', async () => {
    const parts = [randomBytes(MiB), randomBytes(MiB + 100), randomBytes(3 * MiB)];
    let committed = 0;
    const modes: boolean[][] = [];
    for (const part of parts) {
      const writer = await d().writer('append/data', { append: true, expectedSize: committed, deferSync: true });
      await writer.write(part);
      modes.push(openModes(root));
      await writer.commit();
      committed += part.length;
    }
    assert.deepEqual(modes, [[false, true], [false, true], [false]]);
    assert.ok((await d().getContent('append/data')).equals(Buffer.concat(parts)));
  });

  /** Reads `[offset, offset + length)` of `path` through a reader, noting whether a direct handle was open meanwhile. */
  async function readNoting(
    path: string,
    offset?: number,
    length?: number,
  ): Promise<{ bytes: Buffer; direct: boolean }> {
    const options = { ...(offset === undefined ? {} : { offset }), ...(length === undefined ? {} : { length }) };
    const stream = await d().reader(path, options);
    const direct = openModes(root).includes(true);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
    return { bytes: Buffer.concat(chunks), direct };
  }

  /** Writes `data` to `path` in one writer (directly, where it can). */
  async function put(path: string, data: Buffer): Promise<void> {
    const writer = await d().writer(path, { append: false });
    await writer.write(data);
    await writer.commit();
  }

  it('reads a large file written past the page cache directly once, then through the page cache', async () => {
    const data = randomBytes(8 * MiB + 1234); // whole blocks written directly, and a buffered tail
    await put('cold/blob', data);
    const first = await readNoting('cold/blob');
    assert.equal(first.direct, true, 'the first read is direct');
    assert.ok(first.bytes.equals(data));
    assert.deepEqual(openModes(root), [], 'both handles closed at the end');
    const second = await readNoting('cold/blob');
    assert.equal(second.direct, false, 'later reads use the page cache');
    assert.ok(second.bytes.equals(data));
  });

  it('reads exact ranges directly, from unaligned offsets and across staging buffers', async () => {
    const data = randomBytes(8 * MiB + 4099);
    const ranges: [number, number][] = [
      [1, 10],
      [4095, 2],
      [MiB - 3, MiB + 10],
      [8 * MiB + 4000, 99],
      [8 * MiB + 4000, 1000], // past the end: cut at it
      [0, 8 * MiB + 4099],
    ];
    for (const [i, [offset, length]] of ranges.entries()) {
      await put(`ranges/${i}`, data);
      const read = await readNoting(`ranges/${i}`, offset, length);
      assert.equal(read.direct, true, `range ${offset}+${length} read directly`);
      assert.ok(read.bytes.equals(data.subarray(offset, offset + length)), `range ${offset}+${length}`);
    }
  });

  it('reads directly from two staging buffers of its own, leaving the eight writers theirs', async () => {
    const data = randomBytes(8 * MiB);
    for (const i of [0, 1, 2]) await put(`three/${i}`, data);
    const readers = await Promise.all([0, 1, 2].map((i) => d().reader(`three/${i}`)));
    assert.deepEqual(
      openModes(root),
      [false, false, false, true, true],
      'two direct readers, one through the page cache',
    );
    const writers = await Promise.all(Array.from({ length: 8 }, (_, i) => d().writer(`eight/${i}`, { append: false })));
    assert.equal(writers.filter((w) => w.copiesChunks).length, 8, 'every writer still writes directly');
    await Promise.all(writers.map((w) => w.cancel()));
    for (const reader of readers) {
      const chunks: Buffer[] = [];
      for await (const chunk of reader) chunks.push(Buffer.from(chunk as Uint8Array));
      assert.ok(Buffer.concat(chunks).equals(data));
    }
  });

  it('keeps a file cold through a move; reads one rewritten through the page cache, or small, through it', async () => {
    const data = randomBytes(8 * MiB);
    let committed = 0;
    for (const part of [data.subarray(0, 3 * MiB), data.subarray(3 * MiB)]) {
      const writer = await d().writer('uploads/u1/data', { append: true, expectedSize: committed, deferSync: true });
      await writer.write(part);
      await writer.commit();
      committed += part.length;
    }
    await d().move('uploads/u1/data', 'blobs/moved');
    const moved = await readNoting('blobs/moved');
    assert.equal(moved.direct, true, 'an upload moved into place is still cold');
    assert.ok(moved.bytes.equals(data));

    await put('blobs/replaced', data);
    await d().putContent('uploads/u2/data', data); // through the page cache
    await d().move('uploads/u2/data', 'blobs/replaced');
    assert.equal((await readNoting('blobs/replaced')).direct, false, 'a cold file replaced by a move from a cached one');

    await put('blobs/rewritten', data);
    await d().putContent('blobs/rewritten', data);
    assert.equal((await readNoting('blobs/rewritten')).direct, false, 'rewritten through the page cache');

    await put('blobs/one-mib', data.subarray(0, MiB));
    const small = await readNoting('blobs/one-mib');
    assert.equal(small.direct, false, 'under 8 MiB: through the page cache');
    assert.ok(small.bytes.equals(data.subarray(0, MiB)));
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
