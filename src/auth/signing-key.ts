/**
 * The key berth signs tokens with: a configured PEM file, or one generated
 * at first start under `<dataDir>/auth/` (directory 0700, file 0600).
 * Several berth instances that share tokens must share this file.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';
import type { Logger } from 'pino';

/** Algorithms berth can sign with, chosen from the key's type. */
export type SigningAlgorithm = 'ES256' | 'ES384' | 'ES512' | 'RS256' | 'EdDSA';

export interface SigningKey {
  alg: SigningAlgorithm;
  /** RFC 7638 thumbprint of the public key; sent as the JWT `kid`. */
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The public key as a JWK with `kid`, `alg` and `use`, for JWKS consumers. */
  publicJwk: JWK;
}

/** The file name of a generated key inside the key directory. */
export const GENERATED_KEY_FILE = 'token-signing-key.pem';

export interface SigningKeyOptions {
  /** A PEM private key (PKCS#8 or SEC1/PKCS#1); when absent one is generated in `dir`. */
  file?: string;
  dir: string;
  /** The kind of key to generate (ignored for a configured file). */
  generate: 'ES256' | 'RS256';
  logger?: Logger;
}

function algorithmOf(key: KeyObject, where: string): SigningAlgorithm {
  const type = key.asymmetricKeyType;
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (type === 'rsa') return 'RS256';
  if (type === 'ed25519') return 'EdDSA';
  if (type === 'ec' && curve === 'prime256v1') return 'ES256';
  if (type === 'ec' && curve === 'secp384r1') return 'ES384';
  if (type === 'ec' && curve === 'secp521r1') return 'ES512';
  throw new Error(`${where}: unsupported key type ${type ?? 'unknown'} ${curve ?? ''}; use EC P-256 or RSA`);
}

async function generated(dir: string, kind: 'ES256' | 'RS256', logger?: Logger): Promise<string> {
  const file = join(dir, GENERATED_KEY_FILE);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const { privateKey } =
    kind === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 3072 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  try {
    // `wx`: of several processes starting on one data directory, one writes and the rest read.
    await writeFile(file, pem, { mode: 0o600, flag: 'wx' });
    logger?.info({ file }, 'generated a token signing key');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return file;
}

/**
 * Loads (or first generates) the token signing key.
 *
 * @throws Error naming the file when it cannot be read or is not a usable private key.
 */
export async function loadSigningKey(options: SigningKeyOptions): Promise<SigningKey> {
  const file = options.file ?? (await generated(options.dir, options.generate, options.logger));
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(await readFile(file));
  } catch (err) {
    throw new Error(`token signing key ${file}: ${(err as Error).message}`);
  }
  if (((await stat(file)).mode & 0o077) !== 0) {
    options.logger?.warn({ file }, 'the token signing key is readable by other users: chmod 600 it');
  }
  const alg = algorithmOf(privateKey, `token signing key ${file}`);
  const publicKey = createPublicKey(privateKey);
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { alg, kid, privateKey, publicKey, publicJwk: { ...jwk, kid, alg, use: 'sig' } };
}
