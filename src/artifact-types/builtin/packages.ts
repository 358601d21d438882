/**
 * Built-in types for packages and deployable bundles: charts, modules,
 * features, configuration sets.
 */
import type { ArtifactTypeDefinition } from '../artifact-type.js';
import { icon } from '../icons.js';
import { HELM_CHART_CONFIG_SCHEMA } from './schemas/helm-chart-config.js';

export const PACKAGE_TYPES: readonly ArtifactTypeDefinition[] = [
  {
    // HIP-0017 and the IANA registrations: config `vnd.cncf.helm.config.v1+json`,
    // layers `chart.content.v1.tar+gzip` and `chart.provenance.v1.prov`.
    // Also accepted: the names of the OCI artifacts guidance table
    // (`helm.chart.config.v1+json`, `chart.layer.v1+tar`, `chart.meta.layer.v1+json`),
    // `chart.content.layer.v1+tar`, and `application/tar+gzip` from Helm 3.0-3.6's
    // experimental registry support.
    name: 'helm-chart',
    displayName: 'Helm chart',
    description: 'A Kubernetes application packaged as a Helm chart',
    icon: icon('crate'),
    mediaTypes: ['application/vnd.cncf.helm.config.v1+json', 'application/vnd.cncf.helm.chart.config.v1+json'],
    layerMediaTypes: [
      'application/vnd.cncf.helm.chart.content.v1.tar+gzip',
      'application/vnd.cncf.helm.chart.provenance.v1.prov',
      'application/vnd.cncf.helm.chart.layer.v1+tar',
      'application/vnd.cncf.helm.chart.meta.layer.v1+json',
      'application/vnd.cncf.helm.chart.content.layer.v1+tar',
      'application/tar+gzip',
    ],
    configSchema: HELM_CHART_CONFIG_SCHEMA,
    source: 'https://helm.sh/community/hips/hip-0017',
    category: 'package',
  },
  {
    // cnab-to-oci: the bundle is an OCI index annotated
    // `org.opencontainers.artifactType: application/vnd.cnab.manifest.v1`,
    // whose config manifest carries config `application/vnd.cnab.config.v1+json`.
    name: 'cnab',
    displayName: 'CNAB bundle',
    description: 'A Cloud Native Application Bundle with its invocation images',
    icon: icon('boxes'),
    mediaTypes: ['application/vnd.cnab.manifest.v1', 'application/vnd.cnab.config.v1+json'],
    layerMediaTypes: [],
    source: 'https://github.com/cnabio/cnab-to-oci',
    category: 'bundle',
  },
  {
    // Dev Container spec, "Distribution and Discovery of Dev Container Features":
    // config `application/vnd.devcontainers`, the feature tarball as
    // `application/vnd.devcontainers.layer.v1+tar`; a collection's metadata
    // manifest has an empty OCI tar layer and a `collection.layer.v1+json`.
    // Templates use the same media types.
    name: 'devcontainer-feature',
    displayName: 'Dev Container Feature',
    description: 'A Dev Container Feature, Template or collection published with the devcontainers CLI',
    icon: icon('framePlus'),
    mediaTypes: ['application/vnd.devcontainers'],
    layerMediaTypes: [
      'application/vnd.devcontainers.layer.v1+tar',
      'application/vnd.devcontainers.collection.layer.v1+json',
      'application/vnd.oci.image.layer.v1.tar',
    ],
    source: 'https://containers.dev/implementors/features-distribution/',
    category: 'package',
  },
  {
    // OpenTofu docs, "Module Packages in OCI Registries": artifactType
    // `application/vnd.opentofu.modulepkg`, one `archive/zip` layer.
    name: 'opentofu-module',
    displayName: 'OpenTofu module',
    description: 'An OpenTofu (Terraform-language) module package',
    icon: icon('frameBraces'),
    mediaTypes: ['application/vnd.opentofu.modulepkg'],
    layerMediaTypes: ['archive/zip'],
    source: 'https://opentofu.org/docs/cli/oci_registries/module-package',
    category: 'package',
  },
  {
    // OpenTofu docs, "Provider Mirrors in OCI Registries": an index with
    // artifactType `application/vnd.opentofu.provider` listing one
    // `application/vnd.opentofu.provider-target` manifest per platform.
    name: 'opentofu-provider',
    displayName: 'OpenTofu provider',
    description: 'An OpenTofu provider release mirrored into an OCI registry',
    icon: icon('hub'),
    mediaTypes: ['application/vnd.opentofu.provider', 'application/vnd.opentofu.provider-target'],
    layerMediaTypes: ['archive/zip'],
    source: 'https://opentofu.org/docs/cli/oci_registries/provider-mirror',
    category: 'package',
  },
  {
    // Flux OCI cheatsheet: `flux push artifact` writes config
    // `application/vnd.cncf.flux.config.v1+json` and a `flux.content.v1.tar+gzip` layer.
    name: 'flux-artifact',
    displayName: 'Flux artifact',
    description: 'Kubernetes configuration pushed with flux push artifact for GitOps',
    icon: icon('loop'),
    mediaTypes: ['application/vnd.cncf.flux.config.v1+json'],
    layerMediaTypes: ['application/vnd.cncf.flux.content.v1.tar+gzip'],
    source: 'https://fluxcd.io/flux/cheatsheets/oci-artifacts/',
    category: 'bundle',
  },
  {
    // Zarf (src/pkg/zoci): config `application/vnd.zarf.config.v1+json`; every
    // layer is `application/vnd.zarf.layer.v1.blob`.
    name: 'zarf-package',
    displayName: 'Zarf package',
    description: 'A Zarf package for deploying into air-gapped Kubernetes clusters',
    icon: icon('boxArrow'),
    mediaTypes: ['application/vnd.zarf.config.v1+json'],
    layerMediaTypes: ['application/vnd.zarf.layer.v1.blob'],
    source: 'https://github.com/zarf-dev/zarf',
    category: 'bundle',
  },
  {
    // Timoni docs, "Module distribution": `timoni mod push` writes config
    // `application/vnd.timoni.config.v1+json` and a `timoni.content.v1.tar+gzip` layer.
    name: 'timoni-module',
    displayName: 'Timoni module',
    description: 'A Timoni module of CUE-defined Kubernetes resources',
    icon: icon('cubeDot'),
    mediaTypes: ['application/vnd.timoni.config.v1+json'],
    layerMediaTypes: ['application/vnd.timoni.content.v1.tar+gzip'],
    source: 'https://timoni.sh/module-distribution/',
    category: 'package',
  },
  {
    // CUE modules reference, "Registries": artifactType
    // `application/vnd.cue.module.v1+json`; layer 0 the module zip, layer 1
    // a copy of module.cue as `application/vnd.cue.modulefile.v1`.
    name: 'cue-module',
    displayName: 'CUE module',
    description: 'A CUE module published with cue mod publish',
    icon: icon('braces'),
    mediaTypes: ['application/vnd.cue.module.v1+json'],
    layerMediaTypes: ['application/zip', 'application/vnd.cue.modulefile.v1'],
    source: 'https://cuelang.org/docs/reference/modules/',
    category: 'package',
  },
  {
    // Docker Compose `publish` (internal/oci): artifactType
    // `application/vnd.docker.compose.project`, one layer per Compose file and
    // env file; OCI 1.0 pushes put the type in the config media type instead.
    name: 'docker-compose',
    displayName: 'Compose application',
    description: 'A Docker Compose application published as an OCI artifact',
    icon: icon('linkedTiles'),
    mediaTypes: ['application/vnd.docker.compose.project', 'application/vnd.docker.compose.config.empty.v1+json'],
    layerMediaTypes: ['application/vnd.docker.compose.file+yaml', 'application/vnd.docker.compose.envfile'],
    source: 'https://docs.docker.com/compose/how-tos/oci-artifact/',
    category: 'bundle',
  },
  {
    // Tekton bundle contract v0.1 (layers annotated dev.tekton.image.*) and the
    // catalog media types of Tekton's OCI catalog tooling.
    // Limit: `tkn bundle push` writes a plain image config, so such bundles
    // identify as images; only catalog-typed pushes identify as this type.
    name: 'tekton-bundle',
    displayName: 'Tekton bundle',
    description: 'Tekton Tasks and Pipelines in a catalog bundle (catalog media types only)',
    icon: icon('stations'),
    mediaTypes: ['application/vnd.cdf.tekton.catalog.v1alpha1+json'],
    layerMediaTypes: ['application/vnd.cdf.tekton.catalog.*', 'application/vnd.oci.image.layer.*'],
    source: 'https://tekton.dev/docs/pipelines/tekton-bundle-contracts/',
    category: 'bundle',
  },
];
