import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { BufferPool, FileReadStream } from './file-read-stream.js';

describe('BufferPool', () => {
  it('lends a recycled buffer again, and takes each back only once', () => {
    const pool = new BufferPool(1024, 2);
    const first = pool.take();
    pool.give(first.subarray(0, 10));
    pool.give(first); // twice: ignored
    assert.equal(pool.idle, 1);
    const again = pool.take();
    assert.equal(again.buffer, first.buffer, 'the same memory');
    assert.equal(again.length, 1024, 'whole again, whatever slice came back');
    assert.equal(pool.idle, 0);
  });

  it('ignores buffers it did not lend, and keeps at most `keep` idle', () => {
    const pool = new BufferPool(64, 2);
    pool.give(Buffer.alloc(64));
    assert.equal(pool.idle, 0);
    const lent = [pool.take(), pool.take(), pool.take()];
    for (const buffer of lent) pool.give(buffer);
    assert.equal(pool.idle, 2);
  });
});

describe('FileReadStream', () => {
  let dir: string;
  const data = randomBytes(10_000);
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-frs-'));
    writeFileSync(join(dir, 'f'), data);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function read(start: number, end: number, pool: BufferPool, recycle: boolean): Promise<Buffer> {
    const handle = await open(join(dir, 'f'), 'r');
    const stream = new FileReadStream(handle, start, end, pool);
    const parts: Buffer[] = [];
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      parts.push(Buffer.from(chunk)); // a copy: the chunk itself goes back
      if (recycle) stream.recycle(chunk);
    }
    assert.equal(handle.fd, -1, 'the handle is closed at the end');
    return Buffer.concat(parts);
  }

  it('reads exactly [start, end) in chunks of the pool size, recycled or not', async () => {
    const pool = new BufferPool(999, 4);
    assert.ok((await read(0, data.length, pool, true)).equals(data));
    assert.ok((await read(1234, 8765, pool, true)).equals(data.subarray(1234, 8765)));
    assert.ok((await read(17, 18, pool, false)).equals(data.subarray(17, 18)));
    assert.equal((await read(500, 500, pool, true)).length, 0);
    assert.ok(pool.idle >= 1 && pool.idle <= 4);
  });

  it('ends early when the file is shorter than `end`', async () => {
    const got = await read(9_000, 50_000, new BufferPool(4096, 1), true);
    assert.ok(got.equals(data.subarray(9_000)));
  });

  it('closes the handle when destroyed mid-stream', async () => {
    const handle = await open(join(dir, 'f'), 'r');
    const stream = new FileReadStream(handle, 0, data.length, new BufferPool(100, 1));
    stream.once('data', () => stream.destroy());
    await once(stream, 'close');
    assert.equal(handle.fd, -1);
  });
});
