/**
 * A full disk. Under blob storage: pushes that do not fit are refused with
 * 507 and an error body that says what to do, nothing of them is kept, an
 * upload session survives the refused chunk and completes once there is
 * room, and pulls go on. Under the log (stdout on `/dev/full`): the registry
 * keeps serving and stops cleanly instead of crashing on its next log line.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { assertError, RegistryClient } from '../helpers/client.js';
import { blob } from '../helpers/builders.js';
import { uploadClient } from '../helpers/uploads.js';
import { startProcessServer } from '../helpers/process-server.js';
import { createFilesystemDriver } from '../../src/storage/fs-driver.js';
import type { StorageDriver, StorageWriter } from '../../src/storage/driver.js';

const MiB = 1024 * 1024;

/** What a write on a full filesystem throws. */
function noSpace(): Error {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), {
    code: 'ENOSPC',
    errno: -28,
    syscall: 'write',
  });
}

/** The filesystem driver with `room.bytes` of free space left for writers: a write past it throws ENOSPC. */
function diskWithRoom(root: string, room: { bytes: number }): StorageDriver {
  const inner = createFilesystemDriver({ root, fsync: false });
  const limited = (writer: StorageWriter): StorageWriter => ({
    get size() {
      return writer.size;
    },
    copiesChunks: writer.copiesChunks,
    async write(chunk) {
      if (chunk.length > room.bytes) throw noSpace();
      room.bytes -= chunk.length;
      return writer.write(chunk);
    },
    commit: () => writer.commit(),
    cancel: () => writer.cancel(),
  });
  return new Proxy(inner, {
    get(target, key) {
      if (key === 'writer') {
        return async (...args: Parameters<StorageDriver['writer']>) => limited(await target.writer(...args));
      }
      const value: unknown = Reflect.get(target, key);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

describe('blob storage full', () => {
  const root = mkdtempSync(join(tmpdir(), 'berth-full-'));
  const room = { bytes: Number.POSITIVE_INFINITY };
  let server: TestServer;
  let client: RegistryClient;
  before(async () => {
    server = await startTestServer({ storage: diskWithRoom(root, room) });
    client = new RegistryClient(server.url);
  });
  after(async () => {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('refuses a monolithic push that does not fit with 507, keeps nothing of it, and still serves what it has', async () => {
    const up = uploadClient(client);
    const kept = blob(MiB);
    room.bytes = MiB + 100;
    await up.pushWhole('full/mono', kept);
    const big = blob(2 * MiB);
    const res = await client.request(`/v2/full/mono/blobs/uploads/?digest=${big.digest}`, {
      method: 'POST',
      body: big.bytes,
    });
    const body = await assertError(res, 507, 'UNKNOWN');
    assert.equal(body.errors[0]?.message, 'the registry is out of storage space');
    assert.match(JSON.stringify(body.errors[0]?.detail), /nothing of this request was stored.*freed space/);
    await up.assertUnknown('full/mono', big.digest);
    await up.assertStored('full/mono', kept);
    room.bytes = 3 * MiB;
    await up.pushWhole('full/mono', big);
    await up.assertStored('full/mono', big);
  });

  it('refuses a PATCH that does not fit with 507; the session keeps its earlier chunks and completes once there is room', async () => {
    const up = uploadClient(client);
    const b = blob(2 * MiB);
    room.bytes = MiB;
    const session = await up.start('full/chunked');
    const first = await up.patch(session.location, b.bytes.subarray(0, MiB), `0-${MiB - 1}`);
    assert.equal(first.status, 202, await first.text());
    const location = first.headers.get('location') ?? '';
    await assertError(await up.patch(location, b.bytes.subarray(MiB), `${MiB}-${2 * MiB - 1}`), 507, 'UNKNOWN');
    const status = await client.request(location);
    assert.equal(status.status, 204, await status.text());
    assert.equal(status.headers.get('range'), `0-${MiB - 1}`, 'the refused chunk left nothing behind');
    room.bytes = MiB;
    const done = await up.put(location, b.digest, b.bytes.subarray(MiB), { 'content-range': `${MiB}-${2 * MiB - 1}` });
    assert.equal(done.status, 201, await done.text());
    await up.assertStored('full/chunked', b);
  });
});

describe('log on a full disk', () => {
  it('keeps serving and stops cleanly while every write of its log fails (stdout on /dev/full)', async () => {
    const server = await startProcessServer({ stdoutFile: '/dev/full' });
    try {
      const client = new RegistryClient(server.url);
      const up = uploadClient(client);
      for (let i = 0; i < 20; i++) {
        const b = blob(10_000 + i);
        await up.pushWhole('full/log', b); // each request writes a log line
        await up.assertStored('full/log', b);
      }
      assert.equal((await client.request('/v2/')).status, 200);
    } finally {
      assert.deepEqual(await server.stop(), { code: 0, signal: null }, server.output());
    }
  });
});
