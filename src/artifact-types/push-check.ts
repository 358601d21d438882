/**
 * The whole artifact-type decision for one manifest push, in one call:
 * identify, resolve, apply the repository's rule, validate. What the HTTP
 * layer needs to accept, refuse or warn.
 */
import { identifyArtifact, type IdentifiedType } from './identify.js';
import type { TypePolicy } from './policy.js';
import type { RegisteredArtifactType } from './type-registry.js';
import { validateArtifact, type ValidationInput, type ValidationIssue } from './validate.js';

/** Everything the push handler needs from the type machinery. */
export interface PushCheck {
  identified: IdentifiedType;
  /** The resolved type; absent for an unknown media type (shown by `identified.mediaType`). */
  type?: RegisteredArtifactType;
  /** Empty when the push may proceed. The first error's code is the one to answer with. */
  errors: ValidationIssue[];
  /** One `Warning: 299` header each. */
  warnings: string[];
}

/**
 * Checks one push. A refused type yields a single `DENIED` error whose message
 * names the type and what the repository accepts; an accepted one is
 * validated (media type syntax always; schema, layers and annotations as the
 * deciding rule says) and yields `MANIFEST_INVALID` errors and warnings.
 *
 * @example
 * const verdict = checkPush(policy, 'charts/web', { manifest, config });
 * if (verdict.errors.length > 0) throw new RegistryError(verdict.errors[0].code, verdict.errors[0].message);
 */
export function checkPush(policy: TypePolicy, repository: string, input: ValidationInput): PushCheck {
  const identified = identifyArtifact(input.manifest);
  const decision = policy.check(repository, identified);
  const withType = decision.type === undefined ? {} : { type: decision.type };
  if (!decision.allowed) {
    return {
      identified,
      ...withType,
      errors: [{ code: 'DENIED', message: decision.detail ?? 'artifact type not accepted' }],
      warnings: [],
    };
  }
  const { errors, warnings } = validateArtifact(
    decision.type,
    input,
    decision.validation ?? { schema: false, layers: false },
  );
  return { identified, ...withType, errors, warnings };
}
