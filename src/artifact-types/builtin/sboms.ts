/**
 * Built-in types for attestations, bills of materials and security reports
 * that describe a subject, usually attached through the referrers API.
 */
import type { ArtifactTypeDefinition } from '../artifact-type.js';
import { icon } from '../icons.js';

export const SBOM_TYPES: readonly ArtifactTypeDefinition[] = [
  {
    // in-toto attestation framework: a Statement's payloadType. Pushed as an
    // OCI 1.1 referrer by Docker Scout and others, bare or in a DSSE envelope.
    name: 'in-toto-attestation',
    displayName: 'in-toto attestation',
    description: 'An in-toto attestation (provenance, SBOM, VEX or other predicate) about a subject',
    icon: icon('shieldCheck'),
    mediaTypes: ['application/vnd.in-toto+json'],
    layerMediaTypes: ['application/vnd.in-toto+json', 'application/vnd.dsse.envelope.v1+json'],
    source: 'https://github.com/in-toto/attestation/blob/main/spec/v1/envelope.md',
    category: 'attestation',
  },
  {
    // IANA: application/spdx+json (SPDX 2), application/spdx3+json (SPDX 3),
    // text/spdx (tag-value). text/spdx+json and text/spdx+xml are the names
    // cosign's deprecated `attach sbom` used; still found in registries.
    name: 'spdx-sbom',
    displayName: 'SPDX SBOM',
    description: 'A software bill of materials in the SPDX format',
    icon: icon('pageList'),
    mediaTypes: ['application/spdx+json', 'application/spdx3+json', 'text/spdx', 'text/spdx+json', 'text/spdx+xml'],
    layerMediaTypes: [
      'application/spdx+json',
      'application/spdx3+json',
      'text/spdx',
      'text/spdx+json',
      'text/spdx+xml',
    ],
    source: 'https://www.iana.org/assignments/media-types/application/spdx+json',
    category: 'sbom',
  },
  {
    // CycloneDX specification README, "Media Types": +xml and +json are IANA
    // registered (optional `version` parameter); protobuf uses the x. tree.
    name: 'cyclonedx-sbom',
    displayName: 'CycloneDX SBOM',
    description: 'A bill of materials in the CycloneDX format',
    icon: icon('pageBullets'),
    mediaTypes: [
      'application/vnd.cyclonedx+json',
      'application/vnd.cyclonedx+xml',
      'application/vnd.cyclonedx',
      'application/x.vnd.cyclonedx+protobuf',
    ],
    layerMediaTypes: [
      'application/vnd.cyclonedx+json',
      'application/vnd.cyclonedx+xml',
      'application/x.vnd.cyclonedx+protobuf',
    ],
    source: 'https://github.com/CycloneDX/specification#media-types',
    category: 'sbom',
  },
  {
    // OpenVEX has no registered media type; `application/vnd.openvex+json` is
    // the name OpenVEX tooling uses as DSSE payloadType and as artifactType
    // (`oras attach --artifact-type application/vnd.openvex+json`).
    name: 'openvex',
    displayName: 'OpenVEX document',
    description: 'Vulnerability exploitability statements in the OpenVEX format',
    icon: icon('pageAlert'),
    mediaTypes: ['application/vnd.openvex+json'],
    layerMediaTypes: ['application/vnd.openvex+json', 'application/json'],
    source: 'https://github.com/openvex/spec/blob/main/OPENVEX-SPEC.md',
    category: 'attestation',
  },
  {
    // OASIS SARIF 2.1.0; `application/sarif+json` is IANA registered.
    name: 'sarif',
    displayName: 'SARIF report',
    description: 'Static analysis results in the OASIS SARIF format',
    icon: icon('pageLens'),
    mediaTypes: ['application/sarif+json'],
    layerMediaTypes: ['application/sarif+json'],
    source: 'https://www.iana.org/assignments/media-types/application/sarif+json',
    category: 'other',
  },
];
