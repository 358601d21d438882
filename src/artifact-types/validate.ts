/**
 * Validation of one pushed artifact against its type: media type syntax, the
 * config object against the type's JSON Schema, layer media types, required
 * annotations. Pure: the caller supplies the parsed manifest and config.
 */
import type { ArtifactTypeDefinition } from './artifact-type.js';
import { pointerToken } from './artifact-type-error.js';
import type { ParsedManifestLike } from './identify.js';
import { isValidMediaType, mediaTypeMatches, mediaTypeWarnings, normalizeMediaType, printable } from './media-type.js';
import { createSchemaCompiler, type SchemaCheck } from './schema-compiler.js';
import type { RegisteredArtifactType } from './type-registry.js';
import { OCI_EMPTY } from './well-known.js';

export { isValidMediaType, mediaTypeWarnings } from './media-type.js';

/** One reason to refuse a push. */
export interface ValidationIssue {
  /** The OCI error code the push is refused with. */
  code: 'MANIFEST_INVALID' | 'DENIED';
  /** JSON pointer into {@link document}: `/layers/1/mediaType`, `/version`. */
  pointer?: string;
  /** Which document `pointer` points into. */
  document?: 'manifest' | 'config';
  /** A sentence for the error's `detail`, naming the value and the rule. */
  message: string;
}

/** Errors refuse the push; warnings accept it with `Warning: 299` headers. */
export interface ValidationResult {
  errors: ValidationIssue[];
  warnings: string[];
}

/** What to check beyond media type syntax, which is always checked. */
export interface ValidationOptions {
  /** Check the config object against the type's `configSchema` (when it has one). */
  schema: boolean;
  /** Require every layer to use one of the type's `layerMediaTypes`. */
  layers: boolean;
  /** Annotations the manifest must carry, besides the type's own `requiredAnnotations`. */
  requiredAnnotations?: readonly string[];
}

/** The pushed artifact: its manifest, and its config when it is JSON. */
export interface ValidationInput {
  manifest: ParsedManifestLike & { annotations?: Record<string, string> };
  /** The parsed config object; pass it whenever `schema` is on. */
  config?: unknown;
}

const RFC_6838 = 'RFC 6838: type "/" subtype of letters, digits and !#$&-^_.+';

function label(def: ArtifactTypeDefinition): string {
  return `artifact type '${def.name}' (${printable(def.displayName)})`;
}

/** Every media type value in a manifest, with its pointer. */
function mediaTypeFields(manifest: ParsedManifestLike): [string, string][] {
  const fields: [string, string][] = [];
  if (manifest.mediaType !== '') fields.push(['/mediaType', manifest.mediaType]);
  // distribution-spec treats an empty artifactType as missing.
  if (manifest.artifactType !== undefined && manifest.artifactType !== '') {
    fields.push(['/artifactType', manifest.artifactType]);
  }
  if (manifest.config !== undefined) fields.push(['/config/mediaType', manifest.config.mediaType]);
  manifest.layers?.forEach((layer, i) => fields.push([`/layers/${i}/mediaType`, layer.mediaType]));
  manifest.manifests?.forEach((child, i) => {
    fields.push([`/manifests/${i}/mediaType`, child.mediaType]);
    if (child.artifactType !== undefined && child.artifactType !== '') {
      fields.push([`/manifests/${i}/artifactType`, child.artifactType]);
    }
  });
  return fields;
}

function checkMediaTypes(manifest: ParsedManifestLike, result: ValidationResult): void {
  const warned = new Set<string>();
  for (const [pointer, value] of mediaTypeFields(manifest)) {
    if (!isValidMediaType(value)) {
      result.errors.push({
        code: 'MANIFEST_INVALID',
        pointer,
        document: 'manifest',
        message: `manifest ${pointer}: '${printable(value)}' is not a valid media type (${RFC_6838})`,
      });
    } else if (!warned.has(value)) {
      warned.add(value);
      result.warnings.push(...mediaTypeWarnings(value).map((warning) => `${pointer}: ${warning}`));
    }
  }
}

function checkLayers(def: ArtifactTypeDefinition, manifest: ParsedManifestLike, result: ValidationResult): void {
  manifest.layers?.forEach((layer, i) => {
    // image-spec: an artifact without content carries one empty descriptor layer.
    if (!isValidMediaType(layer.mediaType) || normalizeMediaType(layer.mediaType) === OCI_EMPTY) return;
    if (def.layerMediaTypes.some((pattern) => mediaTypeMatches(pattern, layer.mediaType))) return;
    const accepted =
      def.layerMediaTypes.length === 0 ? 'no layers besides the empty descriptor' : def.layerMediaTypes.join(', ');
    result.errors.push({
      code: 'MANIFEST_INVALID',
      pointer: `/layers/${i}/mediaType`,
      document: 'manifest',
      message: `manifest /layers/${i}/mediaType: '${printable(layer.mediaType)}' is not a layer media type of ${label(def)}; it declares: ${accepted}`,
    });
  });
}

function checkAnnotations(
  required: readonly string[],
  manifest: ValidationInput['manifest'],
  result: ValidationResult,
): void {
  for (const key of new Set(required)) {
    const value = manifest.annotations?.[key];
    if (value === undefined || value.trim() === '') {
      result.errors.push({
        code: 'MANIFEST_INVALID',
        pointer: `/annotations/${pointerToken(key)}`,
        document: 'manifest',
        message: `manifest annotation '${printable(key)}' is required here but ${value === undefined ? 'missing' : 'empty'}`,
      });
    }
  }
}

function checkConfig(def: ArtifactTypeDefinition, check: SchemaCheck, config: unknown, result: ValidationResult): void {
  if (config === undefined) {
    result.errors.push({
      code: 'MANIFEST_INVALID',
      pointer: '',
      document: 'config',
      message: `config: ${label(def)} requires a JSON config object that matches its schema; none was found`,
    });
    return;
  }
  for (const issue of check(config)) {
    result.errors.push({
      code: 'MANIFEST_INVALID',
      pointer: issue.pointer,
      document: 'config',
      message: `config ${issue.pointer === '' ? '(root)' : issue.pointer}: ${issue.message} (schema of ${label(def)})`,
    });
  }
}

/**
 * Validates a pushed artifact against its type. Media type syntax is always
 * checked (image-spec: media types MUST comply with RFC 6838): invalid values
 * are errors, valid but discouraged ones (upper case, `x-`/`x.` names,
 * unregistered top-level types) are warnings. The rest follows `options`.
 * `def` is `undefined` for a media type no type claims: only syntax and
 * `options.requiredAnnotations` apply then.
 *
 * Schema checks use the registry's compiled `checkConfig` when `def` came
 * from a registry, and compile the schema on the spot otherwise.
 *
 * @example
 * const result = validateArtifact(registry.get('helm-chart'), { manifest, config }, { schema: true, layers: true });
 * // { errors: [{ code: 'MANIFEST_INVALID', pointer: '/version', document: 'config',
 * //              message: "config /version: must have required property 'version' (schema of ...)" }],
 * //   warnings: [] }
 */
export function validateArtifact(
  def: ArtifactTypeDefinition | RegisteredArtifactType | undefined,
  input: ValidationInput,
  options: ValidationOptions,
): ValidationResult {
  const result: ValidationResult = { errors: [], warnings: [] };
  checkMediaTypes(input.manifest, result);
  if (def !== undefined && options.layers) checkLayers(def, input.manifest, result);
  checkAnnotations(
    [...(def?.requiredAnnotations ?? []), ...(options.requiredAnnotations ?? [])],
    input.manifest,
    result,
  );
  if (def !== undefined && options.schema && def.configSchema !== undefined) {
    const check =
      'checkConfig' in def && def.checkConfig !== undefined
        ? def.checkConfig
        : createSchemaCompiler().compile(def.configSchema);
    checkConfig(def, check, input.config, result);
  }
  return result;
}

/**
 * The value of a `Warning` header for one warning (RFC 7234 §5.5, code 299
 * "miscellaneous persistent warning", no agent).
 *
 * @example
 * warningHeaderValue("/config/mediaType: media type 'Application/x' contains upper-case letters; ...");
 * // '299 - "/config/mediaType: media type \'Application/x\' contains upper-case letters; ..."'
 */
export function warningHeaderValue(warning: string): string {
  return `299 - "${warning.replace(/[^\x20-\x7e]|["\\]/g, '?')}"`;
}
