/**
 * Resident memory of a server process (and its children), from /proc, Linux only.
 * Sampled on a timer while a workload runs; the peak is what matters.
 */
import { readFileSync, readdirSync } from 'node:fs';

const MAX_TREE = 256;

/** VmRSS in bytes of one process, or 0 when it is gone or unreadable. */
function rssOf(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match?.[1] === undefined ? 0 : Number(match[1]) * 1024;
  } catch {
    return 0;
  }
}

/** The pid and its descendants (a wrapper like `npx` or `sh -c` may sit on top of the server). */
function processTree(root: number): number[] {
  const seen: number[] = [];
  const queue = [root];
  while (queue.length > 0 && seen.length < MAX_TREE) {
    const pid = queue.shift() ?? root;
    seen.push(pid);
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tasks) {
      try {
        const children = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
        for (const child of children.split(/\s+/)) if (child !== '') queue.push(Number(child));
      } catch {
        // The task ended between the listing and the read.
      }
    }
  }
  return seen;
}

/** Total RSS in bytes of a process tree. */
export function treeRss(pid: number): number {
  return processTree(pid).reduce((sum, p) => sum + rssOf(p), 0);
}

/** Whether /proc/<pid>/status is readable (the process exists and we are on Linux). */
export function canSampleRss(pid: number): boolean {
  return rssOf(pid) > 0;
}

/**
 * Samples a process tree's RSS every `intervalMs` until stopped.
 *
 * @example
 * const sampler = startRssSampler(pid);
 * await pushBigBlob();
 * const { peak } = sampler.stop();
 */
export function startRssSampler(pid: number, intervalMs = 100): { stop(): { peak: number; samples: number } } {
  let peak = treeRss(pid);
  let samples = 1;
  const timer = setInterval(() => {
    peak = Math.max(peak, treeRss(pid));
    samples++;
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, treeRss(pid));
      return { peak, samples: samples + 1 };
    },
  };
}
