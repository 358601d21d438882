/**
 * HTTPS (issue 7, "Hardening"): berth serves `/v2/` over TLS with the
 * configured certificate, serves a renewed certificate without a restart
 * (on `reload()` and when the files change), keeps the current one when the
 * new pair is bad, and refuses to start with an unreadable or mismatched pair.
 * Certificates are self-signed ones made with the `openssl` CLI.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate, createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { startTestServer, type TestServer } from '../helpers/server.js';

interface Pair {
  cert: Buffer;
  key: Buffer;
  fingerprint: string;
}

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A self-signed P-256 certificate for 127.0.0.1, made by `openssl req -x509`. */
function selfSigned(dir: string, name: string): Pair {
  const keyFile = join(dir, `${name}.key`);
  const certFile = join(dir, `${name}.crt`);
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', `/CN=berth-test-${name}`,
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', certFile],
    { stdio: 'ignore', timeout: 30_000 },
  );
  const cert = readFileSync(certFile);
  return { cert, key: readFileSync(keyFile), fingerprint: new X509Certificate(cert).fingerprint256 };
}

/** One request over HTTPS on a new connection, trusting `ca`: status, body and the served certificate's fingerprint. */
function requestOverTls(
  url: string,
  ca: Buffer[],
  options: { method?: string; body?: Buffer; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: Buffer; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const headers = { ...options.headers, 'content-length': String(options.body?.length ?? 0) };
    const req = httpsRequest(url, { ca, agent: false, method: options.method ?? 'GET', headers, timeout: 30_000 }, (res) => {
      const fingerprint = (res.socket as import('node:tls').TLSSocket).getPeerCertificate().fingerprint256;
      const parts: Buffer[] = [];
      res.on('data', (part: Buffer) => parts.push(part));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts), fingerprint }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(options.body);
  });
}

/** GET over HTTPS on a new connection: the status and the served certificate's fingerprint. */
async function getOverTls(url: string, ca: Buffer[]): Promise<{ status: number; fingerprint: string }> {
  const { status, fingerprint } = await requestOverTls(url, ca);
  return { status, fingerprint };
}

/** Replaces a file the way renewal tools do: write aside, then rename over. */
function replace(path: string, content: Buffer): void {
  writeFileSync(`${path}.tmp`, content);
  renameSync(`${path}.tmp`, path);
}

describe('TLS', { skip: hasOpenssl() ? false : 'openssl CLI not installed' }, () => {
  let dir: string;
  let a: Pair;
  let b: Pair;
  let server: TestServer;
  let certFile: string;
  let keyFile: string;
  const logLines: { msg?: string; fingerprint?: string; level?: number }[] = [];
  const waiters: (() => void)[] = [];

  /** Resolves when a log line matching `test` has been written; rejects after `ms`. */
  function logged(test: (line: (typeof logLines)[number]) => boolean, ms = 15_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        if (!logLines.some(test)) return false;
        clearTimeout(timer);
        resolve();
        return true;
      };
      const timer = setTimeout(() => reject(new Error('expected log line not written in time')), ms);
      if (!check()) waiters.push(() => void check());
    });
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-tls-'));
    a = selfSigned(dir, 'a');
    b = selfSigned(dir, 'b');
    certFile = join(dir, 'tls.crt');
    keyFile = join(dir, 'tls.key');
    writeFileSync(certFile, a.cert);
    writeFileSync(keyFile, a.key);
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n')) if (line !== '') logLines.push(JSON.parse(line) as (typeof logLines)[number]);
        for (const w of waiters) w();
        done();
      },
    });
    server = await startTestServer({
      logger: pino({ level: 'info' }, sink),
      config: { 'http.tls': { certFile, keyFile }, 'log.requests': false },
    });
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves /v2/ over HTTPS with the configured certificate', async () => {
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const res = await getOverTls(`${server.url}/v2/`, [a.cert]);
    assert.deepEqual(res, { status: 200, fingerprint: a.fingerprint });
    assert.equal(server.tls?.fingerprint, a.fingerprint);
  });

  it('pushes and pulls a multi-chunk blob over HTTPS byte-exact, whole and by range', async () => {
    const bytes = randomBytes(5 * 1024 * 1024 + 3);
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const base = `${server.url}/v2/tls/blob`;
    const pushed = await requestOverTls(`${base}/blobs/uploads/?digest=${digest}`, [a.cert], { method: 'POST', body: bytes });
    assert.equal(pushed.status, 201, pushed.body.toString());
    const whole = await requestOverTls(`${base}/blobs/${digest}`, [a.cert]);
    assert.equal(whole.status, 200);
    assert.ok(whole.body.equals(bytes));
    const part = await requestOverTls(`${base}/blobs/${digest}`, [a.cert], { headers: { range: 'bytes=1000000-3500000' } });
    assert.equal(part.status, 206);
    assert.ok(part.body.equals(bytes.subarray(1_000_000, 3_500_001)));
  });

  it('serves a replaced certificate on reload(), without a restart', async () => {
    replace(keyFile, b.key);
    replace(certFile, b.cert);
    assert.equal(await server.tls?.reload(), 'reloaded');
    const res = await getOverTls(`${server.url}/v2/`, [a.cert, b.cert]);
    assert.deepEqual(res, { status: 200, fingerprint: b.fingerprint });
    assert.equal(await server.tls?.reload(), 'unchanged');
  });

  it('keeps the current certificate when the new files do not belong together', async () => {
    replace(certFile, a.cert); // a's certificate with b's key
    assert.equal(await server.tls?.reload(), 'failed');
    assert.ok(logLines.some((l) => l.msg?.includes('keeping the current certificate') === true));
    const res = await getOverTls(`${server.url}/v2/`, [a.cert, b.cert]);
    assert.equal(res.fingerprint, b.fingerprint);
  });

  it('notices changed files on its own', async () => {
    replace(keyFile, a.key); // now a matching pair again: a
    await logged((l) => l.msg === 'TLS certificate reloaded' && l.fingerprint === a.fingerprint);
    const res = await getOverTls(`${server.url}/v2/`, [a.cert, b.cert]);
    assert.equal(res.fingerprint, a.fingerprint);
  });

  it('refuses to start with a key that does not match the certificate, naming the files', async () => {
    const wrongKey = join(dir, 'wrong.key');
    writeFileSync(wrongKey, b.key);
    await assert.rejects(
      startTestServer({ dataDir: join(dir, 'data'), config: { 'http.tls': { certFile: join(dir, 'a.crt'), keyFile: wrongKey } } }),
      /http\.tls: .*a\.crt and .*wrong\.key do not load as a certificate and its key/,
    );
    await assert.rejects(
      startTestServer({ dataDir: join(dir, 'data'), config: { 'http.tls': { certFile: join(dir, 'missing.crt'), keyFile: wrongKey } } }),
      /http\.tls\.certFile: cannot read .*missing\.crt/,
    );
  });
});
