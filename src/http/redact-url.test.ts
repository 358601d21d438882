import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactUrl } from './redact-url.js';

describe('redactUrl', () => {
  it('blanks credential-bearing query values and keeps the rest', () => {
    assert.equal(redactUrl('/v2/app/manifests/v1'), '/v2/app/manifests/v1');
    assert.equal(
      redactUrl('/token?service=berth&scope=repository:a:pull&password=hunter2&refresh_token=r.t.x'),
      '/token?service=berth&scope=repository:a:pull&password=[redacted]&refresh_token=[redacted]',
    );
    assert.equal(redactUrl('/v2/?token=abc.def.ghi'), '/v2/?token=[redacted]');
    assert.equal(redactUrl('/x?Access_Token=1&X-Amz-Signature=2'), '/x?Access_Token=[redacted]&X-Amz-Signature=[redacted]');
    assert.equal(redactUrl('/x?%74oken=secret'), '/x?%74oken=[redacted]', 'percent-encoded names too');
    assert.equal(redactUrl('/x?token'), '/x?token', 'a name without a value has nothing to hide');
  });

  it('blanks userinfo of an absolute-form target', () => {
    assert.equal(redactUrl('http://alice:pw@example.com/v2/'), 'http://[redacted]@example.com/v2/');
  });

  it('redacts before cutting, so a cut never leaves part of a secret', () => {
    const url = `/v2/${'a'.repeat(280)}?token=${'s'.repeat(100)}`;
    const out = redactUrl(url);
    assert.ok(!out.includes('sss'), out);
    assert.ok(out.length <= 301);
  });
});
