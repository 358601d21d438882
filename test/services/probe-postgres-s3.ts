/**
 * Exits 0 when PostgreSQL and Ceph S3 can run here, else prints why and
 * exits 3. `scripts/run-tests.mjs` runs it before the PostgreSQL + S3 pass.
 *
 *   node --import tsx test/services/probe-postgres-s3.ts
 */
import { probePostgres } from './postgres.js';
import { probeS3 } from './ceph-s3.js';
import { isServiceUnavailable } from './service-error.js';

try {
  probePostgres();
  probeS3();
} catch (error) {
  if (!isServiceUnavailable(error)) throw error;
  console.log(error.message);
  process.exitCode = 3;
}
