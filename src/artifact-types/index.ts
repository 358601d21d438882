/**
 * Artifact types: identify what a manifest is, name it, govern which types a
 * repository accepts and validate them. Pure code with no HTTP and no storage;
 * `load-types` is the only module that reads files.
 */
export { ARTIFACT_CATEGORIES, type ArtifactCategory, type ArtifactTypeDefinition } from './artifact-type.js';
export { ArtifactTypeError, type DefinitionOrigin } from './artifact-type-error.js';
export { BUILTIN_TYPES, HELM_CHART_CONFIG_SCHEMA, OCI_IMAGE_CONFIG_SCHEMA } from './builtin/index.js';
export { DEFINITION_SCHEMA, TYPE_NAME_PATTERN } from './definition-schema.js';
export { DEFAULT_ICON, ICONS, icon, type IconName } from './icons.js';
export {
  identifyArtifact,
  type DescriptorLike,
  type IdentificationSource,
  type IdentifiedType,
  type ParsedManifestLike,
} from './identify.js';
export {
  loadOperatorTypes,
  loadTypesFromDirectory,
  parseTypeDefinitions,
  parseTypeFile,
  TYPE_FILE_EXTENSIONS,
} from './load-types.js';
export {
  isValidMediaType,
  isValidMediaTypePattern,
  mediaTypeMatches,
  mediaTypeWarnings,
  normalizeMediaType,
} from './media-type.js';
export { createTypePolicy, type TypeDecision, type TypePolicy, type TypeRule } from './policy.js';
export { checkPush, judgePush, type PushCheck } from './push-check.js';
export { compileRepositoryGlob, isValidRepositoryGlob } from '../oci/repository-glob.js';
export { createSchemaCompiler, type SchemaCheck, type SchemaCompiler, type SchemaIssue } from './schema-compiler.js';
export { findSummaryLayers, type SummaryCandidate } from './summary.js';
export {
  createTypeRegistry,
  type RegisteredArtifactType,
  type SourcedDefinition,
  type TypeRegistry,
} from './type-registry.js';
export { renderTypesTable } from './types-table.js';
export {
  validateArtifact,
  warningHeaderValue,
  type ValidationInput,
  type ValidationIssue,
  type ValidationOptions,
  type ValidationResult,
} from './validate.js';
