/**
 * Test support: the real-world manifest fixtures in `test/fixtures/manifests/`.
 * A file is named after the built-in type it shows (`helm-chart.json`), with
 * `--<variant>` for further shapes of the same type (`helm-chart--artifacts-guidance.json`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ParsedManifestLike } from '../identify.js';

/** Absolute path of the fixtures directory. */
export const MANIFEST_FIXTURES_DIR = fileURLToPath(new URL('../../../test/fixtures/manifests/', import.meta.url));

/** Fixture names without `.json`, sorted. */
export function listManifestFixtures(): string[] {
  return readdirSync(MANIFEST_FIXTURES_DIR)
    .filter((file) => file.endsWith('.json'))
    .map((file) => file.slice(0, -'.json'.length))
    .sort();
}

/** A manifest as parsed JSON, typed for identification and validation. */
export type FixtureManifest = ParsedManifestLike & {
  annotations?: Record<string, string>;
  layers?: { mediaType: string; digest: string; size: number; annotations?: Record<string, string> }[];
};

/** Reads one fixture; a manifest without `mediaType` gets `''`, as the registry would map it. */
export function loadManifestFixture(name: string): FixtureManifest {
  const parsed = JSON.parse(readFileSync(`${MANIFEST_FIXTURES_DIR}${name}.json`, 'utf8')) as Record<string, unknown>;
  const manifest = { ...parsed, mediaType: typeof parsed['mediaType'] === 'string' ? parsed['mediaType'] : '' };
  return manifest;
}

/** The built-in type a fixture name shows: the part before `--`. */
export function fixtureTypeName(name: string): string {
  return name.split('--')[0] ?? name;
}
