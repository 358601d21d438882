/**
 * `berth types list|show NAME`: the artifact types a running registry knows,
 * with how many artifacts of each it stores. Talks to the registry's public
 * API (`/v2/_berth/types`) like any other client.
 */
import type { Command } from 'commander';

interface TypeSummary {
  name: string;
  displayName: string;
  description: string;
  category: string;
  mediaTypes: string[];
  layerMediaTypes: string[];
  hasConfigSchema: boolean;
  source?: string;
  count: number;
}

interface TypesBody {
  types: TypeSummary[];
  unregistered: { mediaType: string; count: number }[];
}

interface TypesOptions {
  url: string;
  json?: boolean;
}

async function getJson<T>(url: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, { headers: { accept: 'application/json' } });
  } catch (err) {
    throw new Error(`cannot reach ${url}: ${(err as Error).message}. Is berth running? Pass --url <registry URL>.`);
  }
  const text = await res.text();
  if (!res.ok) throw new Error(`${url} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n');
}

function fail(err: unknown): void {
  process.stderr.write(`berth: ${(err as Error).message}\n`);
  process.exitCode = 1;
}

export function registerTypes(program: Command): void {
  const types = program.command('types').description('Show the artifact types a registry knows');
  const urlOption = ['-u, --url <url>', 'registry base URL', process.env.BERTH_URL ?? 'http://127.0.0.1:5000'] as const;

  types
    .command('list')
    .description('List every artifact type with the number of stored artifacts of it')
    .option(...urlOption)
    .option('--json', 'print the raw JSON')
    .action(async (options: TypesOptions) => {
      try {
        const body = await getJson<TypesBody>(`${options.url.replace(/\/$/, '')}/v2/_berth/types`);
        if (options.json === true) {
          process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
          return;
        }
        const rows = [['NAME', 'DISPLAY NAME', 'CATEGORY', 'ARTIFACTS']];
        for (const t of body.types) rows.push([t.name, t.displayName, t.category, String(t.count)]);
        process.stdout.write(`${table(rows)}\n`);
        if (body.unregistered.length > 0) {
          const extra = [['UNREGISTERED MEDIA TYPE', 'ARTIFACTS']];
          for (const u of body.unregistered) extra.push([u.mediaType, String(u.count)]);
          process.stdout.write(`\n${table(extra)}\n`);
        }
      } catch (err) {
        fail(err);
      }
    });

  types
    .command('show')
    .argument('<name>', 'short name, e.g. helm-chart')
    .description('Show one artifact type: media types, layer types, schema, source')
    .option(...urlOption)
    .option('--json', 'print the raw JSON')
    .action(async (name: string, options: TypesOptions) => {
      try {
        const t = await getJson<TypeSummary>(`${options.url.replace(/\/$/, '')}/v2/_berth/types/${encodeURIComponent(name)}`);
        if (options.json === true) {
          process.stdout.write(`${JSON.stringify(t, null, 2)}\n`);
          return;
        }
        const lines = [
          `${t.name}: ${t.displayName} (${t.category})`,
          `  ${t.description}`,
          `  identified by:   ${t.mediaTypes.join(', ')}`,
          `  layer types:     ${t.layerMediaTypes.length > 0 ? t.layerMediaTypes.join(', ') : '(any)'}`,
          `  config schema:   ${t.hasConfigSchema ? 'yes' : 'no'}`,
          `  stored:          ${t.count} artifact${t.count === 1 ? '' : 's'}`,
        ];
        if (t.source !== undefined) lines.push(`  source:          ${t.source}`);
        process.stdout.write(`${lines.join('\n')}\n`);
      } catch (err) {
        fail(err);
      }
    });
}
