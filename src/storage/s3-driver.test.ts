/**
 * The S3 driver against a real S3 implementation: a throwaway Ceph RADOS
 * Gateway (test/services/ceph-s3.ts), started once for this file. Skipped
 * with the reason when Ceph is not installed, except in CI.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type { Readable } from 'node:stream';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import {
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  AbortMultipartUploadCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { s3ClientConfig, startS3 } from '../../test/services/ceph-s3.js';
import { requireOrSkip } from '../../test/services/service-error.js';
import { storageDriverSuite } from './conformance/storage-driver-suite.js';
import type { StorageDriver } from './driver.js';
import { createS3Driver, type S3DriverOptions } from './s3-driver.js';
import { MAX_PART_SIZE, MIN_PART_SIZE, copyIntoParts, copyRanges, completeOrAbort } from './s3-writer.js';

const MiB = 1024 * 1024;

describe('s3 copy ranges', () => {
  it('splits into balanced ranges no larger than the maximum', () => {
    assert.deepEqual(copyRanges(0), []);
    assert.deepEqual(copyRanges(10), [[0, 9]]);
    assert.deepEqual(copyRanges(MAX_PART_SIZE), [[0, MAX_PART_SIZE - 1]]);
    // One byte over 5 GiB: two halves, not 5 GiB and a 1-byte runt.
    const ranges = copyRanges(MAX_PART_SIZE + 1);
    assert.equal(ranges.length, 2);
    for (const [first, last] of ranges) assert.ok(last - first + 1 >= MIN_PART_SIZE);
    assert.equal(ranges.at(-1)?.[1], MAX_PART_SIZE);
  });
});

describe('s3 driver options', () => {
  it('rejects a part size outside 5 MiB to 5 GiB and half the static credentials', () => {
    assert.throws(() => createS3Driver({ bucket: 'b', partSize: MIN_PART_SIZE - 1 }), /partSize/);
    assert.throws(() => createS3Driver({ bucket: 'b', partSize: MAX_PART_SIZE + 1 }), /partSize/);
    assert.throws(() => createS3Driver({ bucket: 'b', accessKeyId: 'only-the-key' }), /together/);
    assert.throws(() => createS3Driver({ bucket: 'b', prefix: 'a/../b' }), /invalid storage path/);
  });
});

const s3 = await requireOrSkip('s3 driver on Ceph RADOS Gateway', startS3);
if (s3 !== undefined) {
  after(() => s3.stop());
  const bucket = await s3.createBucket();
  const admin = new S3Client(s3ClientConfig(s3));
  after(() => admin.destroy());
  let harnesses = 0;

  /** A driver over a fresh prefix of the shared bucket. */
  const driverOptions = (prefix: string, extra: Partial<S3DriverOptions> = {}): S3DriverOptions => ({
    bucket,
    prefix,
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    redirect: { enabled: true, expiresIn: 300 },
    ...extra,
  });

  /** Deletes everything under `prefix/` and fails if a multipart upload was left open. */
  const cleanPrefix = async (prefix: string): Promise<void> => {
    const uploads = await admin.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: `${prefix}/` }));
    for (const u of uploads.Uploads ?? []) {
      await admin.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key, UploadId: u.UploadId }));
    }
    for (;;) {
      const page = await admin.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}/` }));
      const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key }));
      if (keys.length === 0) break;
      await admin.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
    }
    assert.deepEqual(
      (uploads.Uploads ?? []).map((u) => u.Key),
      [],
      'multipart uploads left open',
    );
  };

  storageDriverSuite('s3', () => {
    const prefix = `suite/h${++harnesses}`;
    const driver = createS3Driver(driverOptions(prefix));
    return Promise.resolve({
      driver,
      cleanup: async () => {
        await driver.close?.();
        await cleanPrefix(prefix);
      },
    });
  });

  describe('s3 driver specifics', () => {
    let prefix = '';
    let driver: StorageDriver | undefined;
    const d = (): StorageDriver => {
      assert.ok(driver);
      return driver;
    };
    const headKey = (path: string) => admin.send(new HeadObjectCommand({ Bucket: bucket, Key: `${prefix}/${path}` }));
    /** Writes through one writer in 1 MiB chunks and commits. */
    const writeAll = async (path: string, data: Buffer, append: boolean): Promise<void> => {
      const writer = await d().writer(path, { append });
      for (let at = 0; at < data.length; at += MiB) await writer.write(data.subarray(at, at + MiB));
      await writer.commit();
    };

    beforeEach(() => {
      prefix = `specific/t${++harnesses}`;
      driver = createS3Driver(driverOptions(prefix, { partSize: 5 * MiB }));
    });
    afterEach(async () => {
      await driver?.close?.();
      await cleanPrefix(prefix);
    });

    it('writes 12 MiB as a 3-part multipart upload and reads it back exactly', async () => {
      const data = randomBytes(12 * MiB);
      const writer = await d().writer('mp/file', { append: false });
      for (let at = 0; at < data.length; at += 700_000) await writer.write(data.subarray(at, at + 700_000));
      assert.equal(await d().stat('mp/file'), undefined, 'parts are not visible before commit');
      await writer.commit();
      assert.ok((await d().getContent('mp/file')).equals(data));
      assert.match((await headKey('mp/file')).ETag ?? '', /-3"?$/, 'stored as 3 parts');
      const range = await readAll(await d().reader('mp/file', { offset: 5 * MiB - 10, length: 20 }));
      assert.ok(range.equals(data.subarray(5 * MiB - 10, 5 * MiB + 10)));
    });

    it('appends to a committed object smaller than 5 MiB (re-uploads its bytes)', async () => {
      const first = randomBytes(MiB + 5);
      const second = randomBytes(7 * MiB);
      const third = randomBytes(100);
      await writeAll('ap/small', first, false);
      await writeAll('ap/small', second, true);
      assert.ok((await d().getContent('ap/small')).equals(Buffer.concat([first, second])));
      await writeAll('ap/small', third, true);
      assert.ok((await d().getContent('ap/small')).equals(Buffer.concat([first, second, third])));
      // Small + small stays one PutObject.
      await writeAll('ap/tiny', first.subarray(0, 10), false);
      await writeAll('ap/tiny', first.subarray(10, 30), true);
      assert.ok((await d().getContent('ap/tiny')).equals(first.subarray(0, 30)));
    });

    it('appends to a committed object of 5 MiB or more (server-side part copy)', async () => {
      const first = randomBytes(6 * MiB + 1);
      const small = randomBytes(3);
      const large = randomBytes(11 * MiB);
      await writeAll('ap/large', first, false);
      const writer = await d().writer('ap/large', { append: true });
      assert.equal(writer.size, first.length);
      await writer.write(small);
      assert.equal(writer.size, first.length + small.length);
      assert.equal((await d().stat('ap/large'))?.size, first.length, 'not visible before commit');
      await writer.commit();
      assert.ok((await d().getContent('ap/large')).equals(Buffer.concat([first, small])));
      await writeAll('ap/large', large, true);
      assert.ok((await d().getContent('ap/large')).equals(Buffer.concat([first, small, large])));
    });

    it('leaves the object and no multipart upload behind when an append is cancelled or commits nothing', async () => {
      const first = randomBytes(6 * MiB);
      await writeAll('ap/cancel', first, false);
      const cancelled = await d().writer('ap/cancel', { append: true });
      await cancelled.write(randomBytes(6 * MiB)); // fills a part: copy + upload happen now
      await cancelled.cancel();
      const empty = await d().writer('ap/cancel', { append: true });
      await empty.commit();
      assert.ok((await d().getContent('ap/cancel')).equals(first));
      // cleanPrefix (afterEach) fails if a multipart upload is still open.
    });

    it('fails an append whose base object was replaced meanwhile', async () => {
      await writeAll('ap/raced', randomBytes(6 * MiB), false);
      const writer = await d().writer('ap/raced', { append: true });
      await d().putContent('ap/raced', randomBytes(6 * MiB));
      await writer.write(randomBytes(10));
      await assert.rejects(writer.commit());
      await writer.cancel();
    });

    it('copies an object in several ranges (the >5 GiB move path, with small ranges)', async () => {
      const data = randomBytes(12 * MiB);
      await d().putContent('cp/src', data);
      const target = { client: admin, bucket, key: `${prefix}/cp/dst` };
      const created = await admin.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: target.key }));
      assert.ok(created.UploadId);
      const source = { key: `${prefix}/cp/src`, size: data.length, etag: undefined };
      const parts = await copyIntoParts(target, created.UploadId, source, 1, undefined, 7 * MiB);
      assert.equal(parts.length, 2);
      await completeOrAbort(target, created.UploadId, parts);
      assert.ok((await d().getContent('cp/dst')).equals(data));
    });

    it('gives presigned GET and HEAD URLs that a plain fetch can use', async () => {
      const data = randomBytes(100_000);
      await d().putContent('rd/blob', data);
      const get = await d().redirectUrl?.('rd/blob', { method: 'GET', expiresIn: 60 });
      assert.ok(get !== undefined && get.startsWith(`${s3.endpoint}/${bucket}/${prefix}/rd/blob?`), get);
      const response = await fetch(get);
      assert.equal(response.status, 200);
      assert.ok(Buffer.from(await response.arrayBuffer()).equals(data));
      const headUrl = await d().redirectUrl?.('rd/blob', { method: 'HEAD', expiresIn: 60 });
      assert.ok(headUrl);
      const headResponse = await fetch(headUrl, { method: 'HEAD' });
      assert.equal(headResponse.status, 200);
      assert.equal(headResponse.headers.get('content-length'), String(data.length));
      const disabled = createS3Driver(driverOptions(prefix, { redirect: { enabled: false, expiresIn: 60 } }));
      assert.equal(await disabled.redirectUrl?.('rd/blob', { method: 'GET', expiresIn: 60 }), undefined);
      await disabled.close?.();
    });

    it('uses path-style addressing with a custom endpoint (the default there)', async () => {
      const data = randomBytes(10);
      const { forcePathStyle: _unset, ...options } = driverOptions(prefix);
      const implicit = createS3Driver(options);
      await implicit.putContent('ps/file', data);
      assert.ok((await implicit.getContent('ps/file')).equals(data));
      const url = new URL((await implicit.redirectUrl?.('ps/file', { method: 'GET', expiresIn: 60 })) ?? '');
      assert.equal(url.host, new URL(s3.endpoint).host);
      assert.equal(url.pathname, `/${bucket}/${prefix}/ps/file`);
      await implicit.close?.();
    });

    it('signs virtual-hosted URLs (bucket in the Host) that the gateway accepts', async () => {
      const data = randomBytes(1000);
      await d().putContent('vh/file', data);
      const port = new URL(s3.endpoint).port;
      // The gateway's DNS name is `localhost`, so `<bucket>.localhost` names the bucket.
      const virtual = createS3Driver(
        driverOptions(prefix, { endpoint: `http://localhost:${port}`, forcePathStyle: false }),
      );
      const url = new URL((await virtual.redirectUrl?.('vh/file', { method: 'GET', expiresIn: 60 })) ?? '');
      await virtual.close?.();
      assert.equal(url.host, `${bucket}.localhost:${port}`);
      assert.equal(url.pathname, `/${prefix}/vh/file`);
      const body = await new Promise<Buffer>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port, path: `${url.pathname}${url.search}`, headers: { host: url.host } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () =>
              res.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`status ${res.statusCode}`)),
            );
          },
        );
        req.on('error', reject);
        req.end();
      });
      assert.ok(body.equals(data));
    });

    it('takes credentials from the standard AWS environment when none are configured', async (t) => {
      const saved = { id: process.env['AWS_ACCESS_KEY_ID'], secret: process.env['AWS_SECRET_ACCESS_KEY'] };
      t.after(() => {
        restoreEnv('AWS_ACCESS_KEY_ID', saved.id);
        restoreEnv('AWS_SECRET_ACCESS_KEY', saved.secret);
      });
      process.env['AWS_ACCESS_KEY_ID'] = s3.accessKeyId;
      process.env['AWS_SECRET_ACCESS_KEY'] = s3.secretAccessKey;
      const { accessKeyId: _a, secretAccessKey: _s, ...rest } = driverOptions(prefix);
      const fromEnv = createS3Driver(rest);
      await fromEnv.putContent('env/file', Buffer.from('ok'));
      assert.equal((await fromEnv.getContent('env/file')).toString(), 'ok');
      await fromEnv.close?.();
    });

    it('lists and deletes a prefix holding several pages of keys', async () => {
      // The test gateway caps pages at 100 keys (start.sh), so 250 keys make 3 pages.
      const page = await admin.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1000 }));
      assert.ok((page.MaxKeys ?? 1000) <= 100, `pages hold ${page.MaxKeys} keys: too many to test pagination cheaply`);
      const many = createS3Driver(driverOptions(prefix));
      const paths = Array.from({ length: 250 }, (_, i) => `many/${i % 3}/k${i}`);
      for (let at = 0; at < paths.length; at += 50) {
        await Promise.all(paths.slice(at, at + 50).map((p) => many.putContent(p, Buffer.from(p))));
      }
      const listed: string[] = [];
      for await (const path of many.list('many')) listed.push(path);
      assert.deepEqual(listed.sort(), [...paths].sort());
      await many.delete('many');
      for await (const path of many.list('many')) assert.fail(`still there: ${path}`);
      await many.close?.();
    });
  });

  describe('s3 driver on a bucket over its quota', () => {
    it('fails a write past the quota with code EDQUOT, like a full filesystem quota, and stores nothing', async () => {
      const small = await s3.createBucket();
      await s3.setBucketQuota(small, 256 * 1024);
      const driver = createS3Driver({ ...driverOptions('quota'), bucket: small });
      try {
        const fits = randomBytes(50_000);
        await driver.putContent('fits', fits);
        const writer = await driver.writer('too/big', { append: false });
        await writer.write(randomBytes(4 * MiB)); // one PutObject, past the SDK's 2 MB Expect threshold
        const refused = await writer.commit().then(
          () => undefined,
          (err: unknown) => err as { code?: string; name?: string },
        );
        assert.deepEqual([refused?.name, refused?.code], ['QuotaExceeded', 'EDQUOT']);
        await writer.cancel();
        assert.equal(await driver.stat('too/big'), undefined);
        assert.ok((await driver.getContent('fits')).equals(fits));
      } finally {
        await driver.close?.();
      }
    });
  });
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

function restoreEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
