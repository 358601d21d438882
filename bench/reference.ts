/**
 * The reference registry: Debian's `docker-registry` (CNCF distribution 2.8.2),
 * started on a loopback port with its own temporary storage and config.
 */
import { accessSync, constants, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { freePort, spawnServer, type ServerProcess } from './server-process.js';

/** Finds an executable by name on PATH (or checks an explicit path). */
export function findExecutable(name: string): string | undefined {
  const candidates = name.includes('/') ? [name] : (process.env.PATH ?? '').split(delimiter).map((d) => join(d, name));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here; try the next directory.
    }
  }
  return undefined;
}

/**
 * The config: filesystem driver, deletes enabled, and no per-request logging
 * (logging every request would slow the reference down and flatter berth).
 */
function configYaml(storageDir: string, port: number): string {
  return [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${JSON.stringify(storageDir)}`,
    '  delete:',
    '    enabled: true',
    '  cache:',
    '    blobdescriptor: inmemory',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    '',
  ].join('\n');
}

/**
 * Starts docker-registry in `workDir` (config, storage and log live there).
 *
 * @throws Error when the binary is missing or the registry does not answer.
 */
export async function startReference(binary: string, workDir: string): Promise<ServerProcess> {
  const executable = findExecutable(binary);
  if (executable === undefined) {
    throw new Error(
      `${binary} not found: install it with \`apt-get install -y docker-registry\` or pass --reference-bin`,
    );
  }
  const port = await freePort();
  const config = join(workDir, 'config.yml');
  writeFileSync(config, configYaml(join(workDir, 'storage'), port));
  return spawnServer({
    name: 'reference',
    command: executable,
    args: ['serve', config],
    cwd: workDir,
    port,
    logFile: join(workDir, 'registry.log'),
    readyTimeoutMs: 30_000,
  });
}
