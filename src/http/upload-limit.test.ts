import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRegistryError } from '../oci/errors.js';
import { createUploadLimiter } from './upload-limit.js';

describe('upload limiter', () => {
  function setup(max = 2): { limiter: ReturnType<typeof createUploadLimiter>; live: Set<string>; advance(ms: number): void } {
    let now = 0;
    const live = new Set<string>();
    const limiter = createUploadLimiter({
      maxPerClient: max,
      idleMs: 10_000,
      clock: () => now,
      exists: async (_repo, id) => live.has(id),
    });
    return { limiter, live, advance: (ms) => (now += ms) };
  }

  async function open(t: ReturnType<typeof setup>, client: string, id: string): Promise<void> {
    await t.limiter.reserve(client);
    t.live.add(id);
    t.limiter.opened(client, 'repo', id);
    t.limiter.release(client);
  }

  it('refuses past the limit with TOOMANYREQUESTS and Retry-After, per client', async () => {
    const t = setup();
    await open(t, 'ip:a', 's1');
    await open(t, 'ip:a', 's2');
    await assert.rejects(t.limiter.reserve('ip:a'), (err) => {
      assert.ok(isRegistryError(err, 'TOOMANYREQUESTS'));
      assert.equal(err.headers['Retry-After'], '60');
      assert.match(String(err.detail), /2 upload sessions are open.*limit 2.*cancel/);
      return true;
    });
    await t.limiter.reserve('ip:b');
    t.limiter.release('ip:b');
    t.limiter.closed('s1');
    await t.limiter.reserve('ip:a');
  });

  it('counts starts in flight, so parallel starts cannot pass the limit together', async () => {
    const t = setup(1);
    await t.limiter.reserve('ip:a');
    await assert.rejects(t.limiter.reserve('ip:a'));
    t.limiter.release('ip:a');
    await t.limiter.reserve('ip:a');
  });

  it('drops sessions that ended unseen (checked at the limit) or went idle', async () => {
    const t = setup();
    await open(t, 'ip:a', 's1');
    await open(t, 'ip:a', 's2');
    t.live.delete('s1'); // expired, or cancelled through another instance
    await t.limiter.reserve('ip:a');
    t.limiter.release('ip:a');
    assert.equal(t.limiter.count('ip:a'), 1);
    t.advance(5_000);
    t.limiter.touched('s2');
    await open(t, 'ip:a', 's3');
    t.advance(6_000); // s2 was touched 6 s ago, s3 opened 6 s ago: both alive
    assert.equal(t.limiter.count('ip:a'), 2);
    t.advance(5_000);
    await t.limiter.reserve('ip:b'); // any reserve sweeps idle sessions
    assert.equal(t.limiter.count('ip:a'), 0);
  });
});
