/**
 * Manifest hooks backed by the artifact-type registry: identification by
 * the documented rules, per-repository governance and validation
 * (`artifact-types/`), turned into RegistryErrors and warnings.
 */
import { RegistryError } from '../oci/errors.js';
import { identifyArtifact, judgePush, type TypePolicy, type TypeRegistry } from '../artifact-types/index.js';
import type { ManifestHooks } from './manifest-hooks.js';

/**
 * @example
 * const hooks = createTypeHooks(createTypeRegistry(BUILTIN_TYPES), createTypePolicy(rules, types));
 */
export function createTypeHooks(types: TypeRegistry, policy: TypePolicy): ManifestHooks {
  return {
    identify(manifest) {
      const identified = identifyArtifact(manifest);
      return { artifactType: identified.mediaType, typeName: types.resolve(identified.mediaType)?.name ?? null };
    },

    async checkPush({ repo, manifest, identified, loadConfig }) {
      const typed = identifyArtifact(manifest);
      const decision = policy.check(repo, typed);
      // The config blob is read only when the deciding rule validates it.
      const config = decision.allowed && decision.validation?.schema === true ? await loadConfig() : undefined;
      const verdict = judgePush(decision, typed, { manifest, config });
      const first = verdict.errors[0];
      if (first !== undefined) {
        throw new RegistryError(first.code, {
          artifactType: identified.artifactType,
          type: identified.typeName,
          reason: first.message,
          errors: verdict.errors,
        });
      }
      return { warnings: verdict.warnings };
    },
  };
}
