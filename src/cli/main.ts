#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --initial-old-space-size=40 --max-semi-space-size=2
/**
 * `berth`: the command line. Each subcommand lives in its own module; this
 * file only assembles them.
 *
 * The environment and node flags above are those of `npm start` (a test
 * keeps them equal).
 * `MALLOC_ARENA_MAX=2`: glibc gives each thread that allocates its own malloc
 * arena (up to 8 per CPU), and each arena keeps memory it no longer uses: the
 * thread pool's four arenas held ~7 MiB with ~50 KiB in use after a bench
 * run (`malloc_stats`). Two arenas, the main thread's and one shared by the
 * others (thread pool, hash workers), keep resident memory 4–7 MiB lower;
 * those threads allocate little, so they rarely wait for the shared lock.
 * A push allocates a 64 KiB body chunk (outside V8's heap) per socket read,
 * and the chunks die at the next young collection. V8 adds the external
 * memory allocated since its last full collection to the old generation's
 * size when it decides whether to start the next one, and after a full
 * collection of a small heap the limit is only ~10 MB above what is live
 * (`--trace-incremental-marking`: "size/limit/slack 16MB / 26MB / 10MB").
 * Whenever more dead chunks than that wait for a young collection, V8 starts
 * a full collection at once, over and over: a mark-compact every ~50 ms for
 * as long as a push lasts, twice the CPU.
 * `--max-semi-space-size=2`: a young generation of 2 × 2 MiB (it grows to
 * 2 × 16 MiB under load and stays there), so a young collection comes every
 * ~11 MiB of upload instead of ~25 MiB. Fewer dead chunks wait: less
 * resident memory, and a smaller pile for the check above. Costs ~10 % of
 * small-GET throughput (more short-lived objects reach the old generation).
 * `--initial-old-space-size=40`: keeps the old generation's limit at 40 MB
 * or more, room for that pile above what is live (~16–25 MB). Without it,
 * about every other fresh process fell into the loop above; with 40, none
 * of 6 fresh processes did, nor a push right after a mixed load (4 tries).
 * 56 (the value before the young generation was capped) lets ~15 MiB more
 * garbage wait in the old generation; with 32, a push after a mixed load
 * fell into the loop (2 of 2 tries).
 */
import { Command } from 'commander';
import { registerServe } from './serve.js';
import { registerConfig } from './config.js';
import { registerTypes } from './types.js';
import { registerUser } from './user.js';
import { registerGc } from './gc.js';
import { registerScrub } from './scrub.js';

const program = new Command();
program
  .name('berth')
  .description('An OCI artifact registry: images, Helm charts, signatures, SBOMs and every other OCI artifact.')
  .version('0.1.0', '-V, --version')
  .showHelpAfterError('(run with --help for usage)');

registerServe(program);
registerConfig(program);
registerTypes(program);
registerUser(program);
registerGc(program);
registerScrub(program);

await program.parseAsync(process.argv);
