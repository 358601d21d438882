/**
 * Media type syntax, normalisation and pattern matching for artifact types.
 *
 * image-spec (manifest.md, `config.mediaType` and `layers[].mediaType`): a media
 * type that is not one of the spec's own "MUST comply with RFC 6838, including
 * the naming requirements in its section 4.2". The grammar checked here is
 * RFC 6838 §4.2:
 *
 *     type-name "/" subtype-name [ ";" parameters ]
 *     restricted-name       = restricted-name-first *126restricted-name-chars
 *     restricted-name-first = ALPHA / DIGIT
 *     restricted-name-chars = ALPHA / DIGIT / "!" / "#" / "$" / "&" / "-" /
 *                             "^" / "_" / "." / "+"
 *
 * Parameters are not checked and never take part in matching: two media types
 * that differ only in parameters or letter case name the same type
 * (RFC 6838 §4.2: names are case-insensitive).
 */

/** One RFC 6838 restricted-name: 1 to 127 characters. */
const RESTRICTED_NAME = /^[A-Za-z0-9][A-Za-z0-9!#$&\-^_.+]{0,126}$/;

/**
 * Top-level types registered with IANA (RFC 6838 §4.2.1–4.2.7, RFC 2046,
 * RFC 8081 `font`, RFC 9695 `haptics`). Anything else is accepted with a warning.
 */
const REGISTERED_TOP_LEVEL_TYPES: ReadonlySet<string> = new Set([
  'application',
  'audio',
  'example',
  'font',
  'haptics',
  'image',
  'message',
  'model',
  'multipart',
  'text',
  'video',
]);

/** The part of a media type before its parameters, without trailing whitespace. */
function essence(value: string): string {
  const semicolon = value.indexOf(';');
  return (semicolon === -1 ? value : value.slice(0, semicolon)).trimEnd();
}

/**
 * True when `value` is a syntactically valid media type (RFC 6838 §4.2):
 * `type "/" subtype`, each a restricted-name, an optional `+suffix` that is not
 * empty, and optional parameters, which are ignored.
 *
 * @example
 * isValidMediaType('application/vnd.oci.image.manifest.v1+json'); // true
 * isValidMediaType('application/vnd.dev.sigstore.bundle+json;version=0.3'); // true
 * isValidMediaType('application json'); // false
 * isValidMediaType('application/vnd.example+'); // false: empty suffix
 */
export function isValidMediaType(value: string): boolean {
  if (value.length === 0 || value !== value.trimStart()) return false;
  const parts = essence(value).split('/');
  if (parts.length !== 2) return false;
  const [type, subtype] = parts as [string, string];
  if (!RESTRICTED_NAME.test(type) || !RESTRICTED_NAME.test(subtype)) return false;
  // RFC 6838 §4.2.8: the structured syntax suffix follows the last "+".
  return !subtype.endsWith('+');
}

/**
 * Lower-cases a media type and drops its parameters: the form used for every
 * comparison in this module. Does not validate.
 *
 * @example
 * normalizeMediaType('Application/Vnd.Dev.Sigstore.Bundle+JSON; version=0.3');
 * // 'application/vnd.dev.sigstore.bundle+json'
 */
export function normalizeMediaType(value: string): string {
  return essence(value.trim()).toLowerCase();
}

/**
 * Explains what is valid but discouraged in a media type. Each string is plain
 * printable ASCII without double quotes or backslashes, so it can be placed
 * as-is inside `Warning: 299 - "..."`. Returns `[]` for invalid media types
 * (those are errors, see {@link isValidMediaType}) and for clean ones.
 *
 * Discouraged: upper-case letters (registries and clients compare media types
 * byte for byte, so `Application/JSON` and `application/json` do not meet);
 * the `x-` and `x.` prefixes (RFC 6838 §3.4, RFC 6648); a top-level type that
 * is not registered with IANA (RFC 6838 §4.2).
 *
 * @example
 * mediaTypeWarnings('Application/vnd.acme.Thing+json');
 * // ["media type 'Application/vnd.acme.Thing+json' contains upper-case letters; ..."]
 */
export function mediaTypeWarnings(value: string): string[] {
  if (!isValidMediaType(value)) return [];
  const shown = `'${printable(essence(value))}'`;
  const warnings: string[] = [];
  const [type = '', subtype = ''] = essence(value).split('/');
  if (/[A-Z]/.test(essence(value))) {
    warnings.push(
      `media type ${shown} contains upper-case letters; media types are case-insensitive but registries and clients compare them exactly, so use lower case`,
    );
  }
  const lowerType = type.toLowerCase();
  const lowerSubtype = subtype.toLowerCase();
  if (lowerType.startsWith('x-') || lowerSubtype.startsWith('x-')) {
    warnings.push(`media type ${shown} uses the deprecated x- prefix (RFC 6648); use a vnd. name instead`);
  } else if (lowerSubtype.startsWith('x.')) {
    warnings.push(`media type ${shown} is in the unregistered x. tree (RFC 6838 section 3.4); use a vnd. name instead`);
  }
  if (!REGISTERED_TOP_LEVEL_TYPES.has(lowerType)) {
    warnings.push(
      `media type ${shown} has the top-level type '${printable(type)}', which is not registered with IANA (RFC 6838 section 4.2)`,
    );
  }
  return warnings;
}

/**
 * True when `pattern` is a valid media type, or a media type prefix followed by
 * a single trailing `*` (`application/vnd.cncf.model.*`), or `*` alone.
 *
 * @example
 * isValidMediaTypePattern('application/vnd.cncf.model.*'); // true
 * isValidMediaTypePattern('application/*+json'); // false: `*` only at the end
 */
export function isValidMediaTypePattern(pattern: string): boolean {
  if (pattern === '*') return true;
  if (!pattern.endsWith('*')) return isValidMediaType(pattern);
  // A prefix must be the start of some valid media type: a type name, then
  // optionally "/" and the start of a subtype.
  const [type = '', subtype, ...rest] = pattern.slice(0, -1).split('/');
  if (rest.length > 0 || !RESTRICTED_NAME.test(type)) return false;
  return subtype === undefined || subtype === '' || RESTRICTED_NAME.test(subtype);
}

/**
 * Matches a media type against a pattern from {@link isValidMediaTypePattern}.
 * Both sides are normalised: case and parameters never matter.
 *
 * @example
 * mediaTypeMatches('application/vnd.cncf.model.*', 'application/vnd.cncf.model.weight.v1.tar'); // true
 * mediaTypeMatches('application/spdx+json', 'Application/SPDX+json; charset=utf-8'); // true
 */
export function mediaTypeMatches(pattern: string, mediaType: string): boolean {
  const value = normalizeMediaType(mediaType);
  if (pattern === '*') return true;
  if (pattern.endsWith('*')) return value.startsWith(pattern.slice(0, -1).toLowerCase());
  return normalizeMediaType(pattern) === value;
}

/**
 * Makes a value safe to quote in a message that ends up in a `Warning` header:
 * printable ASCII only, no `"` or `\`, at most 200 characters.
 *
 * @example
 * printable('a "quoted" \u00e9'); // 'a ?quoted? ?'
 */
export function printable(value: string): string {
  const cleaned = value.replace(/[^\x20-\x7e]|["\\]/g, '?');
  return cleaned.length > 200 ? `${cleaned.slice(0, 200)}...` : cleaned;
}
