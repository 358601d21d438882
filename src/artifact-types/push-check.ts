/**
 * The whole artifact-type decision for one manifest push, in one call:
 * identify, resolve, apply the repository's rule, validate. What the HTTP
 * layer needs to accept, refuse or warn.
 */
import { identifyArtifact, type IdentifiedType } from './identify.js';
import type { TypeDecision, TypePolicy } from './policy.js';
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
  return judgePush(policy.check(repository, identified), identified, input);
}

/**
 * The verdict for a policy decision already taken (so a caller that needed
 * the decision first, e.g. to know whether to load the config, checks once).
 *
 * @example
 * const decision = policy.check(repo, identified);
 * const verdict = judgePush(decision, identified, { manifest, config });
 */
export function judgePush(decision: TypeDecision, identified: IdentifiedType, input: ValidationInput): PushCheck {
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
