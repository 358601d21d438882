import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientErrorResponse } from './client-errors.js';

function parse(raw: string): { status: number; headers: string; body: { errors: { code: string; message: string; detail: string }[] } } {
  const [head = '', body = ''] = raw.split('\r\n\r\n');
  assert.equal(Buffer.byteLength(body), Number(/Content-Length: (\d+)/.exec(head)?.[1]));
  return { status: Number(head.slice(9, 12)), headers: head, body: JSON.parse(body) as never };
}

describe('clientErrorResponse', () => {
  it('answers parser errors with the registry error body and closes', () => {
    const tooLarge = parse(clientErrorResponse('HPE_HEADER_OVERFLOW'));
    assert.equal(tooLarge.status, 431);
    assert.match(tooLarge.headers, /Connection: close/);
    assert.match(tooLarge.headers, /Content-Type: application\/json/);
    assert.deepEqual(tooLarge.body.errors[0]?.code, 'UNSUPPORTED');
    assert.match(tooLarge.body.errors[0]?.detail ?? '', /http\.maxHeaderBytes/);

    const slow = parse(clientErrorResponse('ERR_HTTP_REQUEST_TIMEOUT'));
    assert.equal(slow.status, 408);
    assert.equal(slow.body.errors[0]?.message, 'request not received in time');

    for (const code of ['HPE_INVALID_METHOD', 'HPE_INVALID_CHUNK_SIZE', undefined]) {
      const garbage = parse(clientErrorResponse(code));
      assert.equal(garbage.status, 400);
      assert.equal(garbage.body.errors[0]?.message, 'malformed HTTP request');
    }
  });
});
