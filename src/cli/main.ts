#!/usr/bin/env node
/**
 * `berth`: the command line. Each subcommand lives in its own module; this
 * file only assembles them.
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
