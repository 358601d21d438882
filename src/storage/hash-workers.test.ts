import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { digesterSuite } from './conformance/digester-suite.js';
import { HashWorkers, hashThreadCount } from './hash-workers.js';

for (const threads of [1, 2]) {
  digesterSuite(`${threads} worker thread(s)`, async () => {
    const hashing = new HashWorkers({ threads, inlineBelow: 0 });
    return { factory: hashing.digester, close: () => hashing.close() };
  });
}

describe('HashWorkers', () => {
  it('counts one thread per CPU beyond the first for auto, at most 2, and takes a number as it is', () => {
    assert.deepEqual(
      [1, 2, 3, 8, 64].map((cpus) => hashThreadCount('auto', cpus)),
      [0, 1, 2, 2, 2],
    );
    assert.equal(hashThreadCount(0, 8), 0);
    assert.equal(hashThreadCount(6, 2), 6);
  });

  it('starts a second thread only when digesters overlap', async () => {
    const hashing = new HashWorkers({ threads: 2, inlineBelow: 0 });
    try {
      for (let i = 0; i < 3; i++) {
        const one = hashing.digester('sha256');
        await one.update(randomBytes(300_000));
        await one.digest();
      }
      assert.equal(hashing.started, 1, 'one upload at a time keeps to one thread');
      const [a, b] = [hashing.digester('sha256'), hashing.digester('sha512')];
      await Promise.all([a.update(Buffer.from('a')), b.update(Buffer.from('b'))]);
      assert.equal(hashing.started, 2, 'two at once use both');
      assert.deepEqual(await Promise.all([a.digest(), b.digest()]), [
        createHash('sha256').update('a').digest('hex'),
        createHash('sha512').update('b').digest('hex'),
      ]);
    } finally {
      await hashing.close();
    }
  });

  it('rejects a digest still pending at close, and hashes in process afterwards', async () => {
    const hashing = new HashWorkers({ threads: 1, inlineBelow: 0 });
    const digester = hashing.digester('sha256');
    await digester.update(randomBytes(2 * 1024 * 1024));
    const pending = assert.rejects(digester.digest(), /shutting down/);
    await hashing.close();
    await pending;
    const after = hashing.digester('sha256');
    await after.update(Buffer.from('abc'));
    assert.equal(await after.digest(), createHash('sha256').update('abc').digest('hex'));
  });

  it('gives inputs known to be small, and every input with 0 threads, a digester that needs no thread', async () => {
    // A digester on a thread that was closed cannot digest; one in process still can.
    for (const [hashing, size] of [
      [new HashWorkers({ threads: 1, inlineBelow: 1000 }), 999],
      [new HashWorkers({ threads: 0 }), 10 * 1024 * 1024],
    ] as const) {
      const digester = hashing.digester('sha256', size);
      await hashing.close();
      await digester.update(Buffer.from('abc'));
      assert.equal(await digester.digest(), createHash('sha256').update('abc').digest('hex'));
    }
    const big = new HashWorkers({ threads: 1, inlineBelow: 1000 });
    const onThread = big.digester('sha256', 1000);
    await onThread.update(Buffer.from('abc'));
    await big.close();
    await assert.rejects(onThread.digest(), /hash worker|shutting down/);
  });
});
