/**
 * The JSON Schema of an artifact type definition, as operators write it in the
 * config file or in a types directory. It is the one description of the
 * format: load-types validates files with it, the registry validates every
 * definition with it, and `berth config schema` can print it.
 *
 * Fields with defaults when omitted by an operator: `icon` (a generic glyph),
 * `layerMediaTypes` (`[]`: no layer is declared) and `category` (`other`).
 * Deeper rules (RFC 6838 syntax, unique media types, safe SVG, compilable
 * config schema) are checked in code: see `definition-check.ts`.
 */
import { ARTIFACT_CATEGORIES } from './artifact-type.js';

/** Lower-kebab short name: `helm-chart`. */
export const TYPE_NAME_PATTERN = '^[a-z0-9]+(?:-[a-z0-9]+)*$';

const mediaTypeList = (description: string): Record<string, unknown> => ({
  type: 'array',
  description,
  items: { type: 'string', minLength: 1, maxLength: 255 },
});

/** JSON Schema (draft-07) of one artifact type definition. */
export const DEFINITION_SCHEMA: Readonly<Record<string, unknown>> = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'berth artifact type',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'displayName', 'description', 'mediaTypes'],
  properties: {
    name: {
      type: 'string',
      description: 'Short lower-kebab name, unique among types: helm-chart.',
      pattern: TYPE_NAME_PATTERN,
      maxLength: 64,
    },
    displayName: { type: 'string', minLength: 1, maxLength: 80 },
    description: {
      type: 'string',
      description: 'One line.',
      minLength: 1,
      maxLength: 300,
      pattern: '^[^\\r\\n]*$',
    },
    icon: {
      type: 'string',
      description: 'An <svg> element with a 24x24 viewBox; a generic glyph when omitted.',
      maxLength: 8192,
    },
    mediaTypes: {
      ...mediaTypeList('artifactType / config.mediaType values that identify the type; a trailing * is a wildcard.'),
      minItems: 1,
    },
    layerMediaTypes: mediaTypeList('Layer media types the type uses; a trailing * is a wildcard; * alone allows any.'),
    configSchema: {
      type: 'object',
      description: 'JSON Schema (draft-07, 2019-09 or 2020-12) for the config object.',
    },
    requiredAnnotations: {
      type: 'array',
      items: { type: 'string', minLength: 1, maxLength: 255 },
    },
    summaryLayerMediaTypes: mediaTypeList('Layer media types that hold a README or summary document.'),
    source: {
      type: 'string',
      description: 'http(s) URL of the public document the media types come from.',
      pattern: '^https?://',
      maxLength: 2048,
    },
    category: { type: 'string', enum: [...ARTIFACT_CATEGORIES] },
  },
};
