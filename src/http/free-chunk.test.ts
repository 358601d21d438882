import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chunkFreer } from './free-chunk.js';

describe('chunkFreer', () => {
  const free = chunkFreer();

  it(`exists on this runtime (node ${process.version})`, () => {
    assert.equal(typeof free, 'function');
  });

  it('empties a chunk that spans its whole ArrayBuffer, as the HTTP parser hands them out', () => {
    const chunk = Buffer.alloc(65_536, 7);
    free?.(chunk);
    assert.equal(chunk.byteLength, 0);
    assert.equal(chunk.buffer.byteLength, 0, 'detached');
  });

  it('leaves views into a larger buffer alone, and with them the rest of the buffer', () => {
    const whole = Buffer.alloc(10_000, 1);
    const view = whole.subarray(0, 5000);
    free?.(view);
    assert.equal(view.byteLength, 5000);
    const pooled = [Buffer.from('first'), Buffer.from('second')]; // slices of Node's shared 8 KiB pool
    for (const b of pooled) free?.(b);
    assert.deepEqual(
      pooled.map((b) => b.toString()),
      ['first', 'second'],
    );
  });

  it('leaves shared and undetachable (WebAssembly) memory as it is, without throwing', () => {
    const shared = new Uint8Array(new SharedArrayBuffer(4096));
    free?.(shared);
    assert.equal(shared.byteLength, 4096);
    // TypeScript's lib without DOM types lacks the WebAssembly global.
    const { WebAssembly } = globalThis as unknown as {
      WebAssembly: { Memory: new (d: { initial: number }) => { buffer: ArrayBuffer } };
    };
    const wasm = new Uint8Array(new WebAssembly.Memory({ initial: 1 }).buffer);
    free?.(wasm);
    assert.equal(wasm.byteLength, 65_536);
  });
});
