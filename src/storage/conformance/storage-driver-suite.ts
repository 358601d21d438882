/**
 * The one conformance suite every {@link StorageDriver} runs (filesystem,
 * memory, s3). Each test gets a fresh harness from `factory` and cleans it up,
 * so drivers may share a backing store between harnesses as long as each
 * harness starts empty.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { StorageNotFoundError, type StorageDriver } from '../driver.js';

/** One driver under test, and how to dispose of it and everything it stored. */
export interface DriverHarness {
  driver: StorageDriver;
  cleanup(): Promise<void>;
}

/** Paths that `assertStoragePath` must reject, so every driver method must too. */
const INVALID_PATHS = ['', '../x', 'a/../x', '..', '/abs', 'a//b', 'a/./b', 'a/', 'a\\b', 'a\0b', 'a/b c'];

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

async function collect(iterable: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const item of iterable) out.push(item);
  return out.sort();
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Writes `data` in `chunkSize` pieces through a writer and commits. */
async function writeFile(driver: StorageDriver, path: string, data: Buffer, chunkSize = 1000): Promise<void> {
  const writer = await driver.writer(path, { append: false });
  for (let at = 0; at < data.length; at += chunkSize) await writer.write(data.subarray(at, at + chunkSize));
  assert.equal(writer.size, data.length);
  await writer.commit();
}

const isNotFound = (err: unknown): boolean => err instanceof StorageNotFoundError;
const isAbort = (err: unknown): boolean => err instanceof Error && err.name === 'AbortError';

/**
 * Registers the conformance tests for one driver under `describe(name)`.
 *
 * @param factory called before every test; must return a driver over an empty store.
 * @example
 * storageDriverSuite('memory', async () => ({ driver: createMemoryDriver(), cleanup: async () => {} }));
 */
export function storageDriverSuite(name: string, factory: () => Promise<DriverHarness>): void {
  describe(`storage driver conformance: ${name}`, () => {
    let harness: DriverHarness | undefined;
    const driver = (): StorageDriver => {
      assert.ok(harness, 'harness not created');
      return harness.driver;
    };
    beforeEach(async () => {
      harness = await factory();
    });
    afterEach(async () => {
      await harness?.cleanup();
      harness = undefined;
    });

    describe('stat', () => {
      it('resolves undefined for a missing path and for a directory prefix', async () => {
        assert.equal(await driver().stat('missing/file'), undefined);
        await driver().putContent('dir/sub/file', Buffer.from('x'));
        assert.equal(await driver().stat('dir/sub'), undefined);
        assert.equal(await driver().stat('dir/sub/file/deeper'), undefined);
      });
      it('gives the size and a valid mtime of a file', async () => {
        await driver().putContent('s/file', randomBytes(1234));
        const info = await driver().stat('s/file');
        assert.ok(info);
        assert.equal(info.size, 1234);
        assert.ok(info.modifiedAt instanceof Date && !Number.isNaN(info.modifiedAt.getTime()));
      });
    });

    describe('reader', () => {
      const data = randomBytes(300_000);
      beforeEach(async () => driver().putContent('r/file', data));
      it('reads the whole file', async () => {
        assert.ok((await readAll(await driver().reader('r/file'))).equals(data));
      });
      it('reads from an offset to the end', async () => {
        assert.ok((await readAll(await driver().reader('r/file', { offset: 70_001 }))).equals(data.subarray(70_001)));
      });
      it('reads an offset and length', async () => {
        const got = await readAll(await driver().reader('r/file', { offset: 12_345, length: 200_000 }));
        assert.ok(got.equals(data.subarray(12_345, 212_345)));
      });
      it('reads nothing from an offset at the end', async () => {
        assert.equal((await readAll(await driver().reader('r/file', { offset: data.length }))).length, 0);
      });
      it('rejects a missing path or a directory with StorageNotFoundError', async () => {
        await assert.rejects(driver().reader('r/missing'), isNotFound);
        await assert.rejects(driver().reader('r'), isNotFound);
      });
      it('reads the same bytes when told the size (whole, from an offset, a range, at the end)', async () => {
        const size = data.length;
        assert.ok((await readAll(await driver().reader('r/file', { size }))).equals(data));
        assert.ok((await readAll(await driver().reader('r/file', { size, offset: 70_001 }))).equals(data.subarray(70_001)));
        const got = await readAll(await driver().reader('r/file', { size, offset: 12_345, length: 200_000 }));
        assert.ok(got.equals(data.subarray(12_345, 212_345)));
        assert.equal((await readAll(await driver().reader('r/file', { size, offset: size }))).length, 0);
        await assert.rejects(driver().reader('r/missing', { size }), isNotFound);
      });
      it('stops with an AbortError when the signal aborts mid-stream', async () => {
        const big = randomBytes(4 * 1024 * 1024);
        await driver().putContent('r/big', big);
        const controller = new AbortController();
        const stream = await driver().reader('r/big', { signal: controller.signal });
        let seen = 0;
        await assert.rejects(async () => {
          for await (const chunk of stream) {
            seen += (chunk as Uint8Array).length;
            controller.abort();
          }
        }, isAbort);
        assert.ok(seen < big.length, 'the whole file was read despite the abort');
      });
      it('fails when the signal is already aborted', async () => {
        const signal = AbortSignal.abort();
        await assert.rejects(async () => readAll(await driver().reader('r/file', { signal })), isAbort);
      });
    });

    describe('getContent and putContent', () => {
      it('round-trips bytes, including an empty file', async () => {
        const data = randomBytes(5000);
        await driver().putContent('c/a', data);
        assert.ok((await driver().getContent('c/a')).equals(data));
        await driver().putContent('c/empty', new Uint8Array(0));
        assert.equal((await driver().getContent('c/empty')).length, 0);
        assert.equal((await driver().stat('c/empty'))?.size, 0);
      });
      it('replaces existing content', async () => {
        await driver().putContent('c/a', randomBytes(9000));
        const next = randomBytes(10);
        await driver().putContent('c/a', next);
        assert.ok((await driver().getContent('c/a')).equals(next));
        assert.equal((await driver().stat('c/a'))?.size, 10);
      });
      it('rejects a missing path or a directory with StorageNotFoundError', async () => {
        await assert.rejects(driver().getContent('c/missing'), isNotFound);
        await driver().putContent('c/dir/file', randomBytes(1));
        await assert.rejects(driver().getContent('c/dir'), isNotFound);
      });
    });

    describe('writer', () => {
      it('writes a new file in chunks, tracks size and commits exact bytes', async () => {
        const parts = [randomBytes(1), randomBytes(70_000), randomBytes(0), randomBytes(3 * 1024 * 1024 + 7)];
        const writer = await driver().writer('w/new/file', { append: false });
        assert.equal(writer.size, 0);
        let expected = 0;
        for (const part of parts) {
          await writer.write(part);
          expected += part.length;
          assert.equal(writer.size, expected);
        }
        await writer.commit();
        assert.ok((await driver().getContent('w/new/file')).equals(Buffer.concat(parts)));
      });
      it('keeps its bytes when a chunk is overwritten after write() resolves, if it says it copies chunks', async () => {
        const parts = [randomBytes(70_000), randomBytes(1024 * 1024 + 5), randomBytes(600 * 1024)];
        const writer = await driver().writer('w/copies', { append: false });
        for (const part of parts) {
          const chunk = Buffer.from(part);
          await writer.write(chunk);
          if (writer.copiesChunks) chunk.fill(0xaa);
        }
        await writer.commit();
        assert.ok((await driver().getContent('w/copies')).equals(Buffer.concat(parts)));
      });
      it('commits an empty file when nothing was written', async () => {
        const writer = await driver().writer('w/empty', { append: false });
        await writer.commit();
        assert.equal((await driver().stat('w/empty'))?.size, 0);
      });
      it('is not visible before commit', async () => {
        const old = randomBytes(100);
        await driver().putContent('w/old', old);
        const fresh = await driver().writer('w/fresh', { append: false });
        const replacing = await driver().writer('w/old', { append: false });
        const data = randomBytes(2 * 1024 * 1024);
        await fresh.write(data);
        await replacing.write(data);
        assert.equal(await driver().stat('w/fresh'), undefined);
        assert.ok((await driver().getContent('w/old')).equals(old));
        await fresh.commit();
        await replacing.commit();
        assert.ok((await driver().getContent('w/fresh')).equals(data));
        assert.ok((await driver().getContent('w/old')).equals(data));
      });
      it('cancel discards a new file and is idempotent', async () => {
        const writer = await driver().writer('w/cancelled', { append: false });
        await writer.write(randomBytes(2 * 1024 * 1024));
        await writer.cancel();
        await writer.cancel();
        assert.equal(await driver().stat('w/cancelled'), undefined);
      });
      it('commit and cancel are final: nothing writes after them, and a cancel after commit keeps the file', async () => {
        const data = randomBytes(3000);
        const committed = await driver().writer('w/final', { append: false });
        await committed.write(data);
        await committed.commit();
        await assert.rejects(committed.write(randomBytes(10)), /cannot write: storage writer is committed/);
        await assert.rejects(committed.commit(), /cannot commit: storage writer is committed/);
        await committed.cancel();
        assert.ok((await driver().getContent('w/final')).equals(data));
        const cancelled = await driver().writer('w/final-cancelled', { append: false });
        await cancelled.write(randomBytes(10));
        await cancelled.cancel();
        await assert.rejects(cancelled.write(randomBytes(10)), /cannot write: storage writer is cancelled/);
        await assert.rejects(cancelled.commit(), /cannot commit: storage writer is cancelled/);
        assert.equal(await driver().stat('w/final-cancelled'), undefined);
      });
      it('takes one operation at a time: a write while another is in flight is refused', async () => {
        const writer = await driver().writer('w/busy', { append: false });
        const first = writer.write(randomBytes(1000));
        await assert.rejects(writer.write(randomBytes(1000)), /cannot write: storage writer is busy/);
        await first;
        await writer.commit();
        assert.equal((await driver().stat('w/busy'))?.size, 1000);
      });
      it('cancel of a replacing writer keeps the old content', async () => {
        const old = randomBytes(500);
        await driver().putContent('w/keep', old);
        const writer = await driver().writer('w/keep', { append: false });
        await writer.write(randomBytes(1000));
        await writer.cancel();
        assert.ok((await driver().getContent('w/keep')).equals(old));
      });
      it('append resumes a committed file', async () => {
        const first = randomBytes(100_001);
        await writeFile(driver(), 'w/upload', first);
        const writer = await driver().writer('w/upload', { append: true });
        assert.equal(writer.size, first.length);
        const second = randomBytes(1024 * 1024 + 3);
        await writer.write(second);
        assert.equal(writer.size, first.length + second.length);
        await writer.commit();
        assert.ok((await driver().getContent('w/upload')).equals(Buffer.concat([first, second])));
      });
      it('append with expectedSize continues from that size and refuses a shorter file', async () => {
        const first = randomBytes(5000);
        await writeFile(driver(), 'w/expected', first);
        const crashed = await driver().writer('w/expected', { append: true });
        await crashed.write(randomBytes(3000)); // never committed nor cancelled, as after a crash
        const writer = await driver().writer('w/expected', { append: true, expectedSize: first.length });
        assert.equal(writer.size, first.length);
        const second = randomBytes(100);
        await writer.write(second);
        await writer.commit();
        assert.ok((await driver().getContent('w/expected')).equals(Buffer.concat([first, second])));
        await assert.rejects(driver().writer('w/expected', { append: true, expectedSize: 1_000_000 }), {
          name: 'StorageSizeMismatchError',
        });
        await crashed.cancel(); // release what the "crashed" writer holds (e.g. an S3 multipart upload)
      });
      it('append with expectedSize refuses a missing file and does not create it', async () => {
        await assert.rejects(driver().writer('w/gone/data', { append: true, expectedSize: 10 }), {
          name: 'StorageSizeMismatchError',
        });
        assert.equal(await driver().stat('w/gone/data'), undefined);
      });
      it('append on a missing path starts empty; cancel leaves no file', async () => {
        const writer = await driver().writer('w/appended', { append: true });
        assert.equal(writer.size, 0);
        await writer.write(randomBytes(10));
        await writer.cancel();
        assert.equal(await driver().stat('w/appended'), undefined);
        const again = await driver().writer('w/appended', { append: true });
        const data = randomBytes(10);
        await again.write(data);
        await again.commit();
        assert.ok((await driver().getContent('w/appended')).equals(data));
      });
      it('cancel of an appending writer keeps the committed bytes', async () => {
        const first = randomBytes(4096);
        await writeFile(driver(), 'w/resume', first);
        const writer = await driver().writer('w/resume', { append: true });
        await writer.write(randomBytes(2 * 1024 * 1024));
        await writer.cancel();
        assert.ok((await driver().getContent('w/resume')).equals(first));
      });
      it('deferSync commits are readable and appendable; a move then places every byte', async () => {
        const parts = [randomBytes(3000), randomBytes(1024 * 1024 + 5), randomBytes(7)];
        let committed = 0;
        for (const part of parts) {
          const options = committed === 0 ? { append: false, deferSync: true } : { append: true, expectedSize: committed, deferSync: true };
          const writer = await driver().writer('w/deferred', options);
          assert.equal(writer.size, committed);
          await writer.write(part);
          await writer.commit();
          committed += part.length;
          assert.equal((await driver().stat('w/deferred'))?.size, committed);
        }
        const whole = Buffer.concat(parts);
        assert.ok((await driver().getContent('w/deferred')).equals(whole));
        await driver().move('w/deferred', 'w/placed/deferred');
        assert.ok((await driver().getContent('w/placed/deferred')).equals(whole));
        assert.equal(await driver().stat('w/deferred'), undefined);
      });
      it('append false replaces an existing file', async () => {
        await driver().putContent('w/replace', randomBytes(5000));
        const data = randomBytes(17);
        await writeFile(driver(), 'w/replace', data);
        assert.ok((await driver().getContent('w/replace')).equals(data));
      });
    });

    describe('move', () => {
      it('moves a file to a new directory and removes the source', async () => {
        const data = randomBytes(777);
        await driver().putContent('m/src', data);
        await driver().move('m/src', 'm/deep/er/dst');
        assert.equal(await driver().stat('m/src'), undefined);
        assert.ok((await driver().getContent('m/deep/er/dst')).equals(data));
      });
      it('atomically replaces an existing destination', async () => {
        const data = randomBytes(300);
        await driver().putContent('m/src', data);
        await driver().putContent('m/dst', randomBytes(9999));
        await driver().move('m/src', 'm/dst');
        assert.ok((await driver().getContent('m/dst')).equals(data));
        assert.equal(await driver().stat('m/src'), undefined);
      });
      it('rejects a missing source and leaves the destination alone', async () => {
        const dst = randomBytes(10);
        await driver().putContent('m/dst', dst);
        await assert.rejects(driver().move('m/missing', 'm/dst'));
        assert.ok((await driver().getContent('m/dst')).equals(dst));
      });
    });

    describe('delete', () => {
      it('deletes a file', async () => {
        await driver().putContent('d/file', randomBytes(5));
        await driver().delete('d/file');
        assert.equal(await driver().stat('d/file'), undefined);
      });
      it('deletes every file below a directory prefix, and only those', async () => {
        for (const path of ['d/a/b/1', 'd/a/b/c/2', 'd/a/bc', 'd/a/b2'])
          await driver().putContent(path, randomBytes(3));
        await driver().delete('d/a/b');
        assert.deepEqual(await collect(driver().list('d')), ['d/a/b2', 'd/a/bc']);
      });
      it('resolves for a missing path, even below a file', async () => {
        await driver().putContent('d/file', randomBytes(1));
        await driver().delete('d/missing');
        await driver().delete('d/missing/deeper');
        await driver().delete('d/file/deeper');
        assert.equal((await driver().stat('d/file'))?.size, 1);
      });
    });

    describe('list', () => {
      it('lists every file below a prefix recursively with full relative paths', async () => {
        const paths = ['l/a/b/1', 'l/a/b/c/d/2', 'l/a/b/c/3', 'l/a/bc/4', 'l/x/5'];
        for (const path of paths) await driver().putContent(path, randomBytes(2));
        assert.deepEqual(await collect(driver().list('l/a/b')), ['l/a/b/1', 'l/a/b/c/3', 'l/a/b/c/d/2']);
        assert.deepEqual(await collect(driver().list('l')), [...paths].sort());
      });
      it('does not return files of a sibling that shares a string prefix', async () => {
        await driver().putContent('l/a/b/in', randomBytes(1));
        await driver().putContent('l/a/bc', randomBytes(1));
        await driver().putContent('l/a/bcd/out', randomBytes(1));
        assert.deepEqual(await collect(driver().list('l/a/b')), ['l/a/b/in']);
      });
      it('yields nothing for a missing prefix or a file path', async () => {
        await driver().putContent('l/file', randomBytes(1));
        assert.deepEqual(await collect(driver().list('l/missing')), []);
        assert.deepEqual(await collect(driver().list('l/file')), []);
      });
    });

    describe('path validation', () => {
      for (const bad of INVALID_PATHS) {
        it(`every method rejects ${JSON.stringify(bad)}`, async () => {
          const d = driver();
          await d.putContent('p/ok', randomBytes(1));
          const calls: [string, () => Promise<unknown>][] = [
            ['stat', () => d.stat(bad)],
            ['reader', () => d.reader(bad)],
            ['getContent', () => d.getContent(bad)],
            ['putContent', () => d.putContent(bad, randomBytes(1))],
            ['writer', () => d.writer(bad, { append: false })],
            ['writer append', () => d.writer(bad, { append: true })],
            ['move from', () => d.move(bad, 'p/to')],
            ['move to', () => d.move('p/ok', bad)],
            ['delete', () => d.delete(bad)],
            ['list', () => collect(d.list(bad))],
          ];
          if (d.redirectUrl) {
            const redirect = d.redirectUrl.bind(d);
            calls.push(['redirectUrl', () => redirect(bad, { method: 'GET', expiresIn: 60 })]);
          }
          for (const [method, call] of calls) {
            await assert.rejects(
              async () => call(),
              /invalid storage path/,
              `${method} accepted ${JSON.stringify(bad)}`,
            );
          }
          assert.equal((await d.stat('p/ok'))?.size, 1, 'the source of a rejected move is untouched');
        });
      }
    });

    describe('volume and concurrency', () => {
      it('round-trips 8 MiB written in 64 KiB chunks', async () => {
        const data = randomBytes(8 * 1024 * 1024);
        await writeFile(driver(), 'v/large', data, 64 * 1024);
        assert.equal((await driver().stat('v/large'))?.size, data.length);
        assert.equal(sha256(await readAll(await driver().reader('v/large'))), sha256(data));
        const range = await readAll(await driver().reader('v/large', { offset: 1_000_000, length: 5_000_000 }));
        assert.equal(sha256(range), sha256(data.subarray(1_000_000, 6_000_000)));
      });
      it('keeps concurrent writers to different paths apart', async () => {
        const files = Array.from({ length: 8 }, (_, i) => ({ path: `v/c/${i}`, data: randomBytes(200_000 + i) }));
        const writers = await Promise.all(files.map((f) => driver().writer(f.path, { append: false })));
        for (let at = 0; at < 210_000; at += 10_000) {
          await Promise.all(files.map((f, i) => writers[i]!.write(f.data.subarray(at, at + 10_000))));
        }
        await Promise.all(writers.map((w) => w.commit()));
        for (const f of files) assert.ok((await driver().getContent(f.path)).equals(f.data), f.path);
      });
    });
  });
}
