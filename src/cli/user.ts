/**
 * `berth user add|remove`: manage the bcrypt htpasswd file that `auth.htpasswd`
 * names. A running berth picks changes up within a second, no restart.
 */
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../config/load.js';
import { assertUserName, hashPassword, removeUserLine, setUserLine } from '../auth/htpasswd-file.js';
import { promptSecret, readStdinSecret } from './prompt.js';

interface UserOptions {
  htpasswd?: string;
  config?: string;
  passwordStdin?: boolean;
  cost?: string;
}

/** The htpasswd file and bcrypt cost: flags first, then the config's `auth` section. */
function target(options: UserOptions): { file: string; cost: number } {
  let configured: { htpasswd?: string; bcryptCost?: number } | undefined;
  if (options.config !== undefined || process.env.BERTH_CONFIG !== undefined) {
    const load: Parameters<typeof loadConfig>[0] = { env: process.env };
    if (options.config !== undefined) load.file = options.config;
    configured = loadConfig(load).auth;
  }
  const file = options.htpasswd ?? configured?.htpasswd;
  if (file === undefined) throw new Error('name the file with --htpasswd FILE (or --config with auth.htpasswd set)');
  const cost = options.cost === undefined ? (configured?.bcryptCost ?? 10) : Number(options.cost);
  if (!Number.isInteger(cost) || cost < 4 || cost > 15) throw new Error('--cost must be an integer from 4 to 15');
  return { file: resolve(file), cost };
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
}

/** Replaces the file atomically, keeping its mode (0600 for a new file). */
async function writeText(file: string, text: string): Promise<void> {
  const mode = await stat(file).then(
    (s) => s.mode & 0o777,
    () => 0o600,
  );
  await mkdir(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, text, { mode });
  await rename(temp, file);
}

async function password(options: UserOptions): Promise<string> {
  if (options.passwordStdin === true) return readStdinSecret();
  const first = await promptSecret('Password: ');
  const again = await promptSecret('Password (again): ');
  if (first !== again) throw new Error('the passwords do not match');
  return first;
}

async function run(action: () => Promise<string>): Promise<void> {
  try {
    process.stdout.write(`${await action()}\n`);
  } catch (err) {
    process.stderr.write(`berth: ${err instanceof ConfigError || err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  }
}

export function registerUser(program: Command): void {
  const user = program.command('user').description('Add or remove users of the htpasswd file (bcrypt)');

  user
    .command('add')
    .argument('<name>', 'user name')
    .description('Add a user or change a password (prompts, or reads --password-stdin)')
    .option('--htpasswd <file>', 'htpasswd file (default: auth.htpasswd of --config)')
    .option('-c, --config <file>', 'config file whose auth.htpasswd and auth.bcryptCost to use')
    .option('--password-stdin', 'read the password from stdin')
    .option('--cost <n>', 'bcrypt cost, 4 to 15 (default: auth.bcryptCost or 10)')
    .addHelpText('after', '\nExamples:\n  berth user add alice --htpasswd /etc/berth/htpasswd\n  echo "$PW" | berth user add ci --password-stdin --config berth.yaml')
    .action((name: string, options: UserOptions) =>
      run(async () => {
        assertUserName(name);
        const { file, cost } = target(options);
        const hash = await hashPassword(await password(options), cost);
        const { text, added } = setUserLine(await readText(file), name, hash);
        await writeText(file, text);
        return added ? `added user ${name} to ${file}` : `changed the password of ${name} in ${file}`;
      }),
    );

  user
    .command('remove')
    .argument('<name>', 'user name')
    .description('Remove a user')
    .option('--htpasswd <file>', 'htpasswd file (default: auth.htpasswd of --config)')
    .option('-c, --config <file>', 'config file whose auth.htpasswd to use')
    .action((name: string, options: UserOptions) =>
      run(async () => {
        const { file } = target(options);
        const { text, removed } = removeUserLine(await readText(file), name);
        if (!removed) throw new Error(`no user ${name} in ${file}`);
        await writeText(file, text);
        return `removed user ${name} from ${file}`;
      }),
    );
}
