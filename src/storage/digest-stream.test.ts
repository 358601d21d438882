import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { digestOf } from '../oci/digest.js';
import { isRegistryError } from '../oci/errors.js';
import { copyVerified } from './digest-stream.js';
import type { StorageWriter } from './driver.js';
import { createMemoryDriver } from './memory-driver.js';
import { inlineDigester } from './digester.js';
import { HashWorkers } from './hash-workers.js';

function chunksOf(data: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; at += size) out.push(data.subarray(at, at + size));
  return out;
}

describe('copyVerified', () => {
  it('writes every byte and returns the digests of every algorithm', async () => {
    const driver = createMemoryDriver();
    const data = randomBytes(300_000);
    const writer = await driver.writer('blob', { append: false });
    const result = await copyVerified(Readable.from(chunksOf(data, 7000)), writer, {
      algorithms: ['sha256', 'sha512'],
    });
    assert.equal(result.bytes, data.length);
    assert.deepEqual(result.digests, { sha256: digestOf(data), sha512: digestOf(data, 'sha512') });
    assert.equal(await driver.stat('blob'), undefined, 'copyVerified must not commit');
    await writer.commit();
    assert.ok((await driver.getContent('blob')).equals(data));
  });

  it('updates caller-owned hashers across calls without finalizing them', async () => {
    const driver = createMemoryDriver();
    const [first, second] = [randomBytes(1000), randomBytes(2000)];
    const hash = inlineDigester('sha256');
    const writer = await driver.writer('blob', { append: false });
    const one = await copyVerified(Readable.from([first]), writer, { algorithms: ['sha256'], hashers: [hash] });
    assert.deepEqual(one.digests, { sha256: digestOf(first) });
    const two = await copyVerified(Readable.from([second]), writer, { algorithms: [], hashers: [hash] });
    assert.deepEqual(two, { bytes: second.length, digests: {} });
    assert.equal(`sha256:${await hash.digest()}`, digestOf(Buffer.concat([first, second])));
  });

  it('hands each chunk back to a recycling source once a copying writer took it, and to no other writer', async () => {
    const data = randomBytes(200_000);
    for (const copies of [true, false]) {
      const driver = createMemoryDriver();
      const inner = await driver.writer('blob', { append: false });
      const writer: StorageWriter = {
        get size() {
          return inner.size;
        },
        copiesChunks: copies,
        write: (chunk) => inner.write(chunk),
        commit: () => inner.commit(),
        cancel: () => inner.cancel(),
      };
      const recycled: number[] = [];
      // Each chunk its own ArrayBuffer, which recycling detaches (empties), as http/free-chunk.ts does.
      const source = Object.assign(Readable.from(chunksOf(data, 7000).map((c) => new Uint8Array(c))), {
        recycle(chunk: Uint8Array) {
          recycled.push(chunk.byteLength);
          structuredClone(chunk.buffer, { transfer: [chunk.buffer as ArrayBuffer] });
        },
      });
      const result = await copyVerified(source, writer, { algorithms: ['sha256'], maxBytes: data.length });
      assert.deepEqual(result, { bytes: data.length, digests: { sha256: digestOf(data) } }, `copiesChunks: ${copies}`);
      assert.deepEqual(recycled, copies ? chunksOf(data, 7000).map((c) => c.length) : []);
      await writer.commit();
      assert.ok((await driver.getContent('blob')).equals(data));
    }
  });

  it('hashes on worker threads when given their factory, own and caller digesters alike', async () => {
    const hashing = new HashWorkers({ threads: 1, inlineBelow: 0 });
    try {
      const driver = createMemoryDriver();
      const data = randomBytes(3 * 1024 * 1024 + 17);
      const caller = hashing.digester('sha512');
      const writer = await driver.writer('blob', { append: false });
      const result = await copyVerified(Readable.from(chunksOf(data, 65_536)), writer, {
        algorithms: ['sha256'],
        digesters: hashing.digester,
        hashers: [caller],
      });
      assert.deepEqual(result, { bytes: data.length, digests: { sha256: digestOf(data) } });
      assert.equal(`sha512:${await caller.digest()}`, digestOf(data, 'sha512'));
      await writer.commit();
      assert.ok((await driver.getContent('blob')).equals(data));
    } finally {
      await hashing.close();
    }
  });

  it('throws BLOB_TOO_LARGE before writing a chunk that takes this call past maxBytes', async () => {
    const driver = createMemoryDriver();
    await driver.putContent('upload', randomBytes(60));
    const writer = await driver.writer('upload', { append: true });
    const source = Readable.from([randomBytes(30), randomBytes(20), randomBytes(1)]);
    await assert.rejects(copyVerified(source, writer, { algorithms: ['sha256'], maxBytes: 50 }), (err) =>
      isRegistryError(err, 'BLOB_TOO_LARGE'),
    );
    assert.equal(writer.size, 110, 'the first 50 bytes were written, the 51st was not');
    await writer.cancel();
  });

  it('stops when the signal aborts, even while the source is waiting', async () => {
    const driver = createMemoryDriver();
    const controller = new AbortController();
    let returned = false;
    async function* stalled(): AsyncGenerator<Uint8Array> {
      try {
        yield randomBytes(10);
        controller.abort();
        yield randomBytes(10);
        await new Promise(() => {}); // a client that stops sending
      } finally {
        returned = true;
      }
    }
    const writer = await driver.writer('blob', { append: false });
    await assert.rejects(
      copyVerified(stalled(), writer, { algorithms: ['sha256'], signal: controller.signal }),
      (err: unknown) => err instanceof Error && err.name === 'AbortError',
    );
    assert.equal(writer.size, 10, 'nothing is written after the abort');
    await new Promise<void>((resolve) => setImmediate(resolve)); // let the un-awaited return() run
    assert.equal(returned, true, 'the source was closed');

    const waiting = new AbortController();
    const source = new Readable({ read() {} }); // never ends on its own
    source.push(randomBytes(5));
    const copying = copyVerified(source, await driver.writer('other', { append: false }), {
      algorithms: ['sha256'],
      signal: waiting.signal,
    });
    await new Promise<void>((resolve) => setImmediate(resolve));
    waiting.abort();
    await assert.rejects(copying, (err: unknown) => err instanceof Error && err.name === 'AbortError');
    assert.equal(source.destroyed, true, 'the source stream was destroyed');
  });
});
