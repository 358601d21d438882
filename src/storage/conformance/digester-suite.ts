/**
 * The conformance suite every {@link Digester} implementation runs: the
 * digests of `node:crypto` whatever the chunking, independent copies, chunks
 * reusable as soon as `update` returns, backpressure that resolves, and a
 * digester that ends exactly once.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import type { DigestAlgorithm } from '../../oci/digest.js';
import type { DigesterFactory, Digester } from '../digester.js';

export interface DigesterUnderTest {
  factory: DigesterFactory;
  close(): Promise<void>;
}

function expected(algorithm: DigestAlgorithm, ...parts: Uint8Array[]): string {
  const hash = createHash(algorithm);
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
}

/** Adds `data` in chunks of the given sizes (cycled), awaiting backpressure. */
async function feed(digester: Digester, data: Uint8Array, sizes: number[]): Promise<void> {
  let at = 0;
  for (let i = 0; at < data.length; i++) {
    const size = sizes[i % sizes.length] ?? 1;
    await digester.update(data.subarray(at, at + size));
    at += size;
  }
}

/**
 * Registers the suite.
 *
 * @example digesterSuite('inline', async () => ({ factory: inlineDigester, close: async () => {} }));
 */
export function digesterSuite(name: string, open: () => Promise<DigesterUnderTest>): void {
  describe(`digester conformance: ${name}`, () => {
    let subject: DigesterUnderTest | undefined;
    const factory = async (): Promise<DigesterFactory> => (subject ??= await open()).factory;
    after(async () => subject?.close());

    for (const algorithm of ['sha256', 'sha512'] as const) {
      it(`${algorithm}: the digest of node:crypto for any chunking, empty input included`, async () => {
        const make = await factory();
        const data = randomBytes(1024 * 1024 + 4099);
        const chunkings = [[1 << 20, 4099], [65_536], [7, 262_144, 0, 262_145, 1], [3 * 1024 * 1024]];
        for (const sizes of chunkings) {
          const digester = make(algorithm);
          await feed(digester, data, sizes);
          assert.equal(await digester.digest(), expected(algorithm, data), `chunks of ${sizes.join(', ')}`);
        }
        assert.equal(await make(algorithm).digest(), expected(algorithm));
      });
    }

    it('a copy starts from the bytes so far and then goes its own way', async () => {
      const make = await factory();
      const [a, b, c] = [randomBytes(300_000), randomBytes(5000), randomBytes(700_000)];
      const original = make('sha256');
      await original.update(a);
      const copy = original.copy();
      await original.update(b);
      const copyOfCopy = copy.copy();
      await copy.update(c);
      assert.equal(await copy.digest(), expected('sha256', a, c));
      assert.equal(await original.digest(), expected('sha256', a, b));
      assert.equal(await copyOfCopy.digest(), expected('sha256', a));
    });

    it('lets the caller reuse a chunk as soon as update returns', async () => {
      const make = await factory();
      const data = randomBytes(600_000);
      const scratch = Buffer.alloc(50_000);
      const digester = make('sha256');
      for (let at = 0; at < data.length; at += scratch.length) {
        data.copy(scratch, 0, at, at + scratch.length);
        await digester.update(scratch);
        scratch.fill(0xee);
      }
      digester.flush();
      assert.equal(await digester.digest(), expected('sha256', data));
    });

    it('many digesters at once, each fed without waiting, all get their own digest', async () => {
      const make = await factory();
      const inputs = Array.from({ length: 12 }, (_, i) => randomBytes(200_000 + i * 97_003));
      const digesters = inputs.map(() => make('sha256'));
      let pending: Promise<void>[] = [];
      for (let at = 0; at < 1_400_000; at += 32_768) {
        digesters.forEach((digester, i) => {
          const chunk = inputs[i]?.subarray(at, at + 32_768);
          const wait = chunk !== undefined && chunk.length > 0 ? digester.update(chunk) : undefined;
          if (wait !== undefined) pending.push(wait);
        });
        await Promise.all(pending);
        pending = [];
      }
      const digests = await Promise.all(digesters.map((digester) => digester.digest()));
      assert.deepEqual(
        digests,
        inputs.map((input) => expected('sha256', input)),
      );
    });

    it('ends once: after digest or discard every call throws, and discard may repeat', async () => {
      const make = await factory();
      const digested = make('sha256');
      await digested.update(Buffer.from('abc'));
      assert.equal(await digested.digest(), expected('sha256', Buffer.from('abc')));
      assert.throws(() => digested.update(Buffer.from('d')), /already ended/);
      assert.throws(() => digested.copy(), /already ended/);
      assert.throws(() => digested.flush(), /already ended/);
      assert.throws(() => void digested.digest(), /already ended/);

      const dropped = make('sha256');
      await dropped.update(randomBytes(400_000));
      dropped.discard();
      dropped.discard();
      assert.throws(() => dropped.update(Buffer.from('x')), /already ended/);
      // Discarding one leaves the others alone.
      const kept = make('sha256');
      const copy = kept.copy();
      kept.discard();
      await copy.update(Buffer.from('xyz'));
      assert.equal(await copy.digest(), expected('sha256', Buffer.from('xyz')));
    });
  });
}
