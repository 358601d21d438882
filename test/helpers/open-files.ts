/**
 * This process's open descriptors on files under a directory (directories,
 * which a driver may hold open for a moment, are left out), with how each
 * was opened, read from `/proc/self/fd` and `/proc/self/fdinfo` (Linux; an
 * empty list elsewhere). Tests use it to see whether storage reads or writes
 * a file past the page cache (`O_DIRECT`) and whether it closed it.
 */
import { constants, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';

export interface OpenFile {
  path: string;
  /** Opened with `O_DIRECT`. */
  direct: boolean;
  /** Opened `O_RDONLY`. */
  readOnly: boolean;
}

/**
 * @example
 * const directReads = openFilesUnder(dataDir).filter((f) => f.direct && f.readOnly).length;
 */
export function openFilesUnder(dir: string): OpenFile[] {
  if (process.platform !== 'linux') return [];
  const files: OpenFile[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    let path: string;
    let flags: number;
    try {
      path = readlinkSync(`/proc/self/fd/${fd}`);
      if (!path.startsWith(dir) || statSync(`/proc/self/fd/${fd}`).isDirectory()) continue;
      flags = Number.parseInt(/flags:\s*([0-7]+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1] ?? '0', 8);
    } catch {
      continue; // closed meanwhile
    }
    // 3 is O_ACCMODE.
    files.push({ path, direct: (flags & constants.O_DIRECT) !== 0, readOnly: (flags & 3) === constants.O_RDONLY });
  }
  return files;
}
