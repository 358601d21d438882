/**
 * Built-in types for signatures: artifacts that sign a subject and refer to it
 * through the referrers API.
 */
import type { ArtifactTypeDefinition } from '../artifact-type.js';
import { icon } from '../icons.js';

export const SIGNATURE_TYPES: readonly ArtifactTypeDefinition[] = [
  {
    // cosign specs/SIGNATURE_SPEC.md. OCI 1.1 (referrers) signatures carry
    // artifactType `application/vnd.dev.cosign.artifact.sig.v1+json`.
    // Limit: tag-based signatures (`sha256-<digest>.sig` tags) use config
    // `application/vnd.oci.image.config.v1+json` with a simple-signing layer;
    // identification reads artifactType and config only, so those are images.
    name: 'cosign-signature',
    displayName: 'Cosign signature',
    description: 'A Sigstore cosign signature attached to an artifact as a referrer',
    icon: icon('sealCheck'),
    mediaTypes: ['application/vnd.dev.cosign.artifact.sig.v1+json'],
    layerMediaTypes: ['application/vnd.dev.cosign.simplesigning.v1+json'],
    source: 'https://github.com/sigstore/cosign/blob/main/specs/SIGNATURE_SPEC.md',
    category: 'signature',
  },
  {
    // Notary Project signature specification v1.0.0, "OCI Signatures": the
    // type sits in artifactType (OCI 1.1) or config.mediaType; the envelope
    // layer is JWS or COSE.
    name: 'notation-signature',
    displayName: 'Notation signature',
    description: 'A Notary Project signature made with notation',
    icon: icon('sealKey'),
    mediaTypes: ['application/vnd.cncf.notary.signature'],
    layerMediaTypes: ['application/jose+json', 'application/cose'],
    source: 'https://github.com/notaryproject/specifications/blob/v1.0.0/specs/signature-specification.md',
    category: 'signature',
  },
  {
    // cosign specs/BUNDLE_SPEC.md: the bundle is both artifactType and layer.
    // Matching ignores parameters, so `bundle+json;version=0.3` also covers
    // the 0.1 and 0.2 bundles that used the parameterised name.
    name: 'sigstore-bundle',
    displayName: 'Sigstore bundle',
    description: 'A Sigstore bundle: a signature or attestation with its verification material',
    icon: icon('parcel'),
    mediaTypes: [
      'application/vnd.dev.sigstore.bundle.v0.3+json',
      'application/vnd.dev.sigstore.bundle+json;version=0.3',
    ],
    layerMediaTypes: ['application/vnd.dev.sigstore.bundle.v0.3+json', 'application/vnd.dev.sigstore.bundle+json'],
    source: 'https://github.com/sigstore/cosign/blob/main/specs/BUNDLE_SPEC.md',
    category: 'signature',
  },
];
