/**
 * Every built-in artifact type, in display order. Operators add or override
 * types by name through configuration (see `load-types.ts`); nothing here is
 * mutable.
 */
import type { ArtifactTypeDefinition } from '../artifact-type.js';
import { IMAGE_TYPES } from './images.js';
import { MISC_TYPES } from './misc.js';
import { PACKAGE_TYPES } from './packages.js';
import { POLICY_TYPES } from './policies.js';
import { SBOM_TYPES } from './sboms.js';
import { SIGNATURE_TYPES } from './signatures.js';

/**
 * The built-in types: images, signatures, SBOMs and attestations, packages,
 * policies, then the rest.
 *
 * @example
 * createTypeRegistry([...BUILTIN_TYPES, ...operatorTypes]);
 */
export const BUILTIN_TYPES: readonly ArtifactTypeDefinition[] = Object.freeze([
  ...IMAGE_TYPES,
  ...SIGNATURE_TYPES,
  ...SBOM_TYPES,
  ...PACKAGE_TYPES,
  ...POLICY_TYPES,
  ...MISC_TYPES,
]);

export { OCI_IMAGE_CONFIG_SCHEMA } from './schemas/oci-image-config.js';
export { HELM_CHART_CONFIG_SCHEMA } from './schemas/helm-chart-config.js';
