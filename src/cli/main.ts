#!/usr/bin/env -S node --initial-old-space-size=56 --max-semi-space-size=2
/**
 * `berth`: the command line. Each subcommand lives in its own module; this
 * file only assembles them.
 *
 * The node flags above are those of `npm start` (a test keeps them equal).
 * `--initial-old-space-size=56`: V8 counts the memory of the body chunks a
 * push allocates (outside its heap) against the old generation's limit. With
 * the ~40 MB limit a small heap gets, about every other process fell into a
 * mark-compact every ~50 ms for as long as a push lasted (~330 instead of
 * ~500 MB/s, twice the CPU); from 56 MB on, none did in 18 tries. A higher
 * value lets more garbage pile up before a full collection (80: ~25 MiB more
 * resident after the bench).
 * `--max-semi-space-size=2`: caps V8's young generation at 2 × 2 MiB (it
 * grows to 2 × 16 MiB under load and stays). A young collection then comes
 * every few MiB of upload, so fewer dead body chunks wait in malloc's heap:
 * 20–35 MiB less resident after the bench, pushes no slower, ~10 % fewer
 * small GETs per second (more short-lived objects get promoted).
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
