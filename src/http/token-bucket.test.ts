import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTokenBuckets } from './token-bucket.js';

describe('token buckets', () => {
  it('allows a burst, then the rate, with Retry-After until the next token', () => {
    let now = 1_000_000;
    const buckets = createTokenBuckets({ requestsPerSecond: 2, burst: 3, maxKeys: 100, clock: () => now });
    for (let i = 0; i < 3; i++) assert.equal(buckets.take('a').allowed, true, `request ${i}`);
    assert.deepEqual(buckets.take('a'), { allowed: false, retryAfterSeconds: 1 });
    now += 499;
    assert.equal(buckets.take('a').allowed, false, 'less than one token refilled');
    now += 1;
    assert.equal(buckets.take('a').allowed, true, 'one token after 500 ms at 2/s');
    assert.equal(buckets.take('b').allowed, true, 'other clients have their own bucket');
  });

  it('says how long to wait at slow rates', () => {
    let now = 0;
    const buckets = createTokenBuckets({ requestsPerSecond: 0.1, burst: 1, maxKeys: 100, clock: () => now });
    assert.equal(buckets.take('a').allowed, true);
    assert.deepEqual(buckets.take('a'), { allowed: false, retryAfterSeconds: 10 });
    now += 4000;
    assert.deepEqual(buckets.take('a'), { allowed: false, retryAfterSeconds: 6 });
  });

  it('forgets clients whose bucket has refilled, and stays within maxKeys', () => {
    let now = 0;
    const buckets = createTokenBuckets({ requestsPerSecond: 1, burst: 2, maxKeys: 100, clock: () => now });
    const size = (): number => buckets.size;
    for (let i = 0; i < 50; i++) buckets.take(`idle-${i}`);
    assert.equal(size(), 50);
    now += 2000; // every bucket is full again
    buckets.take('new');
    assert.equal(size(), 1, 'full buckets are dropped as they are met');
    for (let i = 0; i < 1000; i++) buckets.take(`busy-${i}`);
    assert.ok(size() <= 100, `size ${size()}`);
  });

  it('refuses nonsense limits', () => {
    assert.throws(() => createTokenBuckets({ requestsPerSecond: 0, burst: 1, maxKeys: 1, clock: Date.now }));
    assert.throws(() => createTokenBuckets({ requestsPerSecond: 1, burst: 0, maxKeys: 1, clock: Date.now }));
  });
});
