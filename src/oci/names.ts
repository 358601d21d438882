/**
 * Repository names, tags and references (distribution-spec: "Pulling manifests").
 *
 * Every name and reference is validated here before it reaches storage: the
 * grammar admits no `.`/`..` path segment, no `%`, no backslash and no
 * leading slash, so a valid name is always a safe relative path.
 */
import { RegistryError } from './errors.js';
import { tryParseDigest, type Digest } from './digest.js';

/** distribution-spec `<name>` grammar, anchored. */
const NAME_GRAMMAR =
  /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;

/** distribution-spec `<tag>` grammar: at most 128 characters. */
const TAG_GRAMMAR = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

/** Names longer than this are refused: many clients cap host + "/" + name at 255. */
export const MAX_NAME_LENGTH = 255;

/** True when `name` is a valid repository name. */
export function isValidName(name: string): boolean {
  return name.length <= MAX_NAME_LENGTH && NAME_GRAMMAR.test(name);
}

/**
 * Validates a repository name.
 *
 * @throws RegistryError `NAME_INVALID` naming the rule that failed.
 */
export function assertName(name: string): string {
  if (!isValidName(name)) {
    throw new RegistryError(
      'NAME_INVALID',
      name.length > MAX_NAME_LENGTH
        ? `repository name is ${name.length} characters; the limit is ${MAX_NAME_LENGTH}`
        : `"${name.slice(0, 300)}" is not a valid repository name: use lowercase letters, digits and separators (. _ __ -) in path components joined by "/"`,
    );
  }
  return name;
}

/** True when `tag` is a valid tag. */
export function isValidTag(tag: string): boolean {
  return TAG_GRAMMAR.test(tag);
}

/**
 * Validates a tag.
 *
 * @throws RegistryError `TAG_INVALID` (400) with the tag and the grammar.
 */
export function assertTag(tag: string): string {
  if (!isValidTag(tag)) {
    throw new RegistryError(
      'TAG_INVALID',
      `"${tag.slice(0, 200)}" is not a valid tag: at most 128 characters of [a-zA-Z0-9._-], not starting with . or -`,
    );
  }
  return tag;
}

/** A manifest reference: a tag or a digest. */
export type Reference = { kind: 'tag'; tag: string } | { kind: 'digest'; digest: Digest };

/**
 * Parses `<tag-or-digest>`. A string containing ":" must be a digest.
 *
 * @throws RegistryError `DIGEST_INVALID` or `TAG_INVALID`.
 */
export function parseReference(ref: string): Reference {
  if (ref.includes(':')) {
    const digest = tryParseDigest(ref);
    if (digest === undefined) {
      throw new RegistryError('DIGEST_INVALID', `"${ref.slice(0, 200)}" is not a valid digest`);
    }
    return { kind: 'digest', digest };
  }
  return { kind: 'tag', tag: assertTag(ref) };
}
