/**
 * Built-in types for policy and detection-rule bundles.
 */
import type { ArtifactTypeDefinition } from '../artifact-type.js';
import { icon } from '../icons.js';

export const POLICY_TYPES: readonly ArtifactTypeDefinition[] = [
  {
    // conftest push (conftest.dev "Sharing policies"): config
    // `application/vnd.cncf.openpolicyagent.config.v1+json` with policy, data
    // and manifest layers; Trivy's checks bundle uses the same type as its
    // artifactType with one `layer.v1.tar+gzip` bundle layer.
    name: 'opa-bundle',
    displayName: 'OPA policy bundle',
    description: 'Open Policy Agent (Rego) policies and data, as pushed by conftest or oras',
    icon: icon('shieldLines'),
    mediaTypes: ['application/vnd.cncf.openpolicyagent.config.v1+json'],
    layerMediaTypes: [
      'application/vnd.cncf.openpolicyagent.policy.layer.v1+rego',
      'application/vnd.cncf.openpolicyagent.data.layer.v1+json',
      'application/vnd.cncf.openpolicyagent.manifest.layer.v1+json',
      'application/vnd.cncf.openpolicyagent.rego.layer.v1+rego',
      'application/vnd.cncf.openpolicyagent.layer.v1.tar+gzip',
    ],
    source: 'https://www.conftest.dev/sharing/',
    category: 'bundle',
  },
  {
    // Kyverno CLI `kyverno oci push`: config `application/vnd.cncf.kyverno.config.v1+json`,
    // one `policy.layer.v1+yaml` layer per policy, annotated io.kyverno.image.*.
    name: 'kyverno-policy',
    displayName: 'Kyverno policies',
    description: 'Kyverno policies pushed with kyverno oci push',
    icon: icon('shieldDot'),
    mediaTypes: ['application/vnd.cncf.kyverno.config.v1+json'],
    layerMediaTypes: ['application/vnd.cncf.kyverno.policy.layer.v1+yaml'],
    source: 'https://kyverno.io/docs/kyverno-cli/#pushing',
    category: 'bundle',
  },
  {
    // falcoctl proposal "rules and plugin distribution" (pkg/oci constants).
    name: 'falco-rules',
    displayName: 'Falco rules',
    description: 'A Falco rules file distributed with falcoctl',
    icon: icon('eye'),
    mediaTypes: ['application/vnd.cncf.falco.rulesfile.config.v1+json'],
    layerMediaTypes: ['application/vnd.cncf.falco.rulesfile.layer.v1+tar.gz'],
    source: 'https://github.com/falcosecurity/falcoctl/blob/main/proposals/20220916-rules-and-plugin-distribution.md',
    category: 'bundle',
  },
  {
    // Same falcoctl proposal: plugins are a separate artifact type.
    name: 'falco-plugin',
    displayName: 'Falco plugin',
    description: 'A Falco plugin (shared library) distributed with falcoctl',
    icon: icon('plug'),
    mediaTypes: ['application/vnd.cncf.falco.plugin.config.v1+json'],
    layerMediaTypes: ['application/vnd.cncf.falco.plugin.layer.v1+tar.gz'],
    source: 'https://github.com/falcosecurity/falcoctl/blob/main/proposals/20220916-rules-and-plugin-distribution.md',
    category: 'package',
  },
];
