/**
 * The one place the real object graph is wired: config → storage driver,
 * metadata store, registry services, HTTP app and background workers.
 * Tests call {@link startServer} with their own config (and may inject a
 * clock), so they run the real server in process on an ephemeral port.
 */
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config/schema.js';
import { parseListen } from './config/load.js';
import type { StorageDriver } from './storage/driver.js';
import type { MetadataStore } from './metadata/store.js';
import { createFilesystemDriver } from './storage/fs-driver.js';
import { createMemoryDriver } from './storage/memory-driver.js';
import { openSqliteStore } from './metadata/sqlite-store.js';
import { createRegistry, type Registry } from './registry/registry.js';
import type { Clock } from './registry/deps.js';
import type { ManifestHooks } from './registry/manifest-hooks.js';
import { createTypeHooks } from './registry/type-hooks.js';
import { reclassifyManifests } from './registry/classify.js';
import {
  BUILTIN_TYPES,
  createTypePolicy,
  createTypeRegistry,
  loadOperatorTypes,
  type TypeRegistry,
} from './artifact-types/index.js';
import { BERTH_EXTENSION, OCI_EXTENSION, berthApiRoutes } from './http/routes/berth-api.js';
import { createNoEventRecorder } from './registry/event-recorder.js';
import { createHttpApp } from './http/app.js';
import { setupHardening } from './http/hardening-setup.js';
import type { TlsReloader } from './http/tls.js';
import { authFromConfig } from './auth/auth-from-config.js';
import { createIntervalWorker, type Worker } from './registry/interval-worker.js';
import { createMetricsRegistry, type MetricsRegistry } from './http/metrics.js';
import { createWebhookRoutes } from './http/routes/webhooks.js';
import { checkWebhooksConfig, createWebhooks } from './events/webhooks.js';
import type { DeliveryWorker, Sleep } from './events/delivery-worker.js';
import { compileRetentionRules } from './registry/gc/retention-rules.js';
import { checkQuotaRules, createQuotaGuard } from './registry/gc/quota-guard.js';
import { createGcWorker } from './registry/gc/gc-worker.js';
import { compileImmutableTagRules } from './registry/immutable-tags.js';
import { createGcMetrics } from './registry/gc/gc-metrics.js';
import { HashWorkers, hashThreadCount } from './storage/hash-workers.js';
import { chunkFreer, type FreeChunk } from './http/free-chunk.js';

export interface ServerOverrides {
  clock?: Clock;
  /** Replaces the storage driver the config names (tests). */
  storage?: StorageDriver;
  hooks?: ManifestHooks;
  /** How the webhook worker waits between retries (tests advance a fake clock). */
  sleep?: Sleep;
  /** Replaces the hashing threads `registry.hashThreads` asks for (tests stop them mid-upload); closed with the server. */
  hashing?: HashWorkers;
  /** Replaces how stored upload-body chunks are freed (tests count them). */
  freeChunk?: FreeChunk;
}

export interface RunningServer {
  app: FastifyInstance;
  registry: Registry;
  /** `http://host:port` actually bound (the port is real even when config said 0). */
  url: string;
  /** Random id of this process start: the holder name of its background-work leases. */
  instanceId: string;
  /** Prometheus registry behind `/metrics`: other modules register their metrics here. */
  metrics: MetricsRegistry;
  /** Webhook delivery (`status()`, and `runOnce()`/`drain()` when `webhooks.pollIntervalMs` is 0). */
  webhooks: DeliveryWorker;
  /** Scheduled retention + GC (`gc.intervalSeconds`); `runOnce()` runs it now, under the `gc` lease. */
  gc: Worker;
  /** Certificate reloading, when `http.tls` is set (`reload()` on SIGHUP). */
  tls?: TlsReloader;
  /** Start-up work that runs after listening (classifying stored manifests); never rejects. */
  startupTasks: Promise<void>;
  /** Stops accepting, finishes in-flight requests, stops workers, closes stores. */
  close(): Promise<void>;
}

/** How often shutdown closes keep-alive connections that became idle since it began. */
const SHUTDOWN_SWEEP_MS = 100;

/** URL-safe random id for upload sessions (22 chars, 128 bits). */
export function randomId(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * Builds the storage driver a config names. The S3 driver (and the AWS SDK,
 * ~25 MiB of resident memory and a slower start) is imported only when
 * configured.
 */
export async function openStorage(config: Config): Promise<StorageDriver> {
  const s = config.storage;
  switch (s.driver) {
    case 'filesystem': {
      const root = resolve(s.path ?? join(config.dataDir, 'storage'));
      mkdirSync(root, { recursive: true });
      return createFilesystemDriver({ root, fsync: s.fsync, directWrites: s.directWrites });
    }
    case 'memory':
      return createMemoryDriver();
    case 's3': {
      const { createS3Driver } = await import('./storage/s3-driver.js');
      const options: Parameters<typeof createS3Driver>[0] = {
        bucket: s.bucket,
        region: s.region,
        forcePathStyle: s.forcePathStyle,
        partSize: s.partSizeBytes,
        redirect: { enabled: s.redirect, expiresIn: s.redirectExpirySeconds },
      };
      if (s.prefix !== undefined) options.prefix = s.prefix;
      if (s.endpoint !== undefined) options.endpoint = s.endpoint;
      if (s.accessKeyId !== undefined) options.accessKeyId = s.accessKeyId;
      if (s.secretAccessKey !== undefined) options.secretAccessKey = s.secretAccessKey;
      return createS3Driver(options);
    }
  }
}

/** Opens (and migrates) the metadata store a config names; `pg` is imported only when configured. */
export async function openMetadata(config: Config): Promise<MetadataStore> {
  const m = config.metadata;
  if (m.driver === 'postgres') {
    const { openPostgresStore } = await import('./metadata/postgres-store.js');
    return openPostgresStore({ url: m.url, poolSize: m.poolSize });
  }
  const path = resolve(m.path ?? join(config.dataDir, 'berth.db'));
  mkdirSync(resolve(path, '..'), { recursive: true });
  return openSqliteStore(path, { synchronous: m.synchronous, checkNestedCalls: m.checkNestedCalls });
}

/** Human-readable description of where data lives, for the start-up line. */
export function describeData(config: Config): { storage: string; metadata: string } {
  const s = config.storage;
  const m = config.metadata;
  return {
    storage:
      s.driver === 'filesystem'
        ? resolve(s.path ?? join(config.dataDir, 'storage'))
        : s.driver === 's3'
          ? `s3://${s.bucket}/${s.prefix ?? ''}`
          : 'memory',
    metadata:
      m.driver === 'sqlite' ? resolve(m.path ?? join(config.dataDir, 'berth.db')) : m.url.replace(/\/\/[^@/]*@/, '//***@'),
  };
}

/**
 * Builds the artifact-type registry (built-ins, then the operator's `types`
 * and `typesDir`) and the per-repository policy from `typeRules`.
 *
 * @throws ArtifactTypeError naming the type, its origin and the bad field.
 */
export async function loadArtifactTypes(config: Config): Promise<{ types: TypeRegistry; hooks: ManifestHooks }> {
  const operator = await loadOperatorTypes({ config: config.types, configLabel: 'types', directory: config.typesDir });
  const types = createTypeRegistry([...BUILTIN_TYPES, ...operator]);
  const policy = createTypePolicy(config.typeRules, types, { label: 'typeRules' });
  return { types, hooks: createTypeHooks(types, policy) };
}

/**
 * Starts berth: opens stores, builds the registry, listens, starts workers.
 *
 * @throws whatever opening the stores or binding the port throws.
 */
export async function startServer(config: Config, logger: Logger, overrides: ServerOverrides = {}): Promise<RunningServer> {
  const { types, hooks } = await loadArtifactTypes(config);
  checkWebhooksConfig(config.webhooks);
  const retentionRules = compileRetentionRules(config.retention, types);
  checkQuotaRules(config.quotas);
  // Before opening stores: a non-bcrypt htpasswd line or a bad key stops start-up here.
  const auth = await authFromConfig(config.auth, { dataDir: config.dataDir, clock: overrides.clock ?? Date.now, ids: randomId, logger });
  // Before opening stores too: an unreadable or mismatched TLS pair stops start-up naming the file.
  const hardening = await setupHardening(config, logger, overrides.clock ?? Date.now);
  const storage = overrides.storage ?? (await openStorage(config));
  const metadata = await openMetadata(config);
  const clock = overrides.clock ?? Date.now;
  const metrics = createMetricsRegistry();
  /** This process start: the holder name of its background-work leases. */
  const instanceId = randomId();
  const webhooks = createWebhooks({
    config: config.webhooks,
    metadata,
    logger: logger.child({ component: 'webhooks' }),
    clock,
    sleep: overrides.sleep,
    metrics,
    publicUrl: config.publicUrl,
    leaseHolder: instanceId,
  });
  const hashing = overrides.hashing ?? new HashWorkers({ threads: hashThreadCount(config.registry.hashThreads) });
  const registry = createRegistry({
    storage,
    metadata,
    config: config.registry,
    clock,
    ids: randomId,
    logger: logger.child({ component: 'registry' }),
    hooks: overrides.hooks ?? hooks,
    types,
    events: webhooks.recorder ?? createNoEventRecorder(),
    ...(config.quotas.length === 0 ? {} : { quota: createQuotaGuard(metadata, config.quotas) }),
    digesters: hashing.digester,
  });
  const freeChunk = overrides.freeChunk ?? chunkFreer();
  const app = createHttpApp({
    registry,
    logger,
    logRequests: config.log.requests,
    extraRoutes: [createWebhookRoutes(() => webhooks.worker.status()), ...berthApiRoutes],
    extensions: [OCI_EXTENSION, BERTH_EXTENSION],
    maxHeaderBytes: config.http.maxHeaderBytes,
    trustProxy: config.http.trustProxy,
    ready: async () => {
      await metadata.ping();
      await storage.stat('blobs/ready-probe');
    },
    metrics,
    ...(auth === undefined ? {} : { auth }),
    ...(config.publicUrl === undefined ? {} : { publicUrl: config.publicUrl }),
    ...(webhooks.recorder === undefined ? {} : { events: { recorder: webhooks.recorder, contexts: webhooks.contexts } }),
    ...hardening.appOptions,
    ...(freeChunk === undefined ? {} : { freeChunk }),
  });
  // Several instances may share the metadata store: background work runs
  // under a lease held by one instance at a time (see interval-worker.ts).
  // GC and webhook delivery take their own leases the same way.
  const expiryIntervalMs = config.registry.uploadExpiryIntervalSeconds * 1000;
  const workers: Worker[] = [
    createIntervalWorker({
      name: 'upload-expiry',
      intervalMs: expiryIntervalMs,
      logger: logger.child({ component: 'upload-expiry' }),
      run: async () => {
        const removed = await registry.uploads.expireStale();
        return removed > 0 ? { removed } : undefined;
      },
      lease: {
        store: metadata,
        name: 'upload-expiry',
        holder: instanceId,
        ttlMs: Math.max(3 * expiryIntervalMs, 1000),
        clock,
      },
    }),
    webhooks.worker,
  ];
  const gc = createGcWorker({
    deps: registry.deps,
    gc: config.gc,
    rules: retentionRules,
    immutableTags: compileImmutableTagRules(config.registry.immutableTags),
    holder: instanceId,
    metrics: createGcMetrics(metrics),
  });
  workers.push(gc);

  const { host, port } = parseListen(config.listen);
  const server = app.server;
  server.headersTimeout = config.http.headersTimeoutSeconds * 1000;
  server.requestTimeout = config.http.requestTimeoutSeconds * 1000;
  server.keepAliveTimeout = config.http.idleTimeoutSeconds * 1000;
  try {
    // New endpoints start at the end of the log: fix that point before any request can add to it.
    await webhooks.worker.init();
    await app.listen({ host, port });
  } catch (err) {
    hardening.stop();
    await hashing.close();
    await metadata.close();
    await storage.close?.();
    throw err;
  }
  const tls = hardening.start(app);
  for (const w of workers) w.start();
  const startupTasks = reclassifyManifests(registry.deps, registry.manifests, logger.child({ component: 'classify' })).then(
    () => undefined,
    (err: unknown) => logger.error({ err }, 'classifying stored manifests failed; it is retried at the next start'),
  );
  const address = server.address();
  const boundPort = typeof address === 'object' && address !== null ? address.port : port;
  webhooks.source.addr = `${hostname()}:${boundPort}`;
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;

  let closing: Promise<void> | undefined;
  return {
    app,
    registry,
    url: `${hardening.scheme}://${urlHost}:${boundPort}`,
    metrics,
    webhooks: webhooks.worker,
    gc,
    instanceId,
    startupTasks,
    ...(tls === undefined ? {} : { tls }),
    close() {
      closing ??= (async () => {
        const grace = setTimeout(() => server.closeAllConnections(), config.http.shutdownGraceSeconds * 1000);
        grace.unref();
        // Node closes the connections idle now; a keep-alive connection whose
        // response is still going out becomes idle later and would stay open
        // (holding shutdown) until its idle timeout or the grace period.
        const sweep = setInterval(() => server.closeIdleConnections(), SHUTDOWN_SWEEP_MS);
        sweep.unref();
        server.closeIdleConnections();
        await app.close();
        clearTimeout(grace);
        clearInterval(sweep);
        hardening.stop();
        await Promise.all(workers.map((w) => w.stop()));
        await startupTasks;
        // Pull and denied events are written after their responses: let them land.
        await webhooks.recorder?.flush();
        await hashing.close();
        await metadata.close();
        await storage.close?.();
      })();
      return closing;
    },
  };
}
