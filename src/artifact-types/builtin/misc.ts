/**
 * Built-in types that fit no larger family: databases, models, metadata,
 * generic files and berth's own documentation artifact.
 */
import type { ArtifactTypeDefinition } from '../artifact-type.js';
import { icon } from '../icons.js';

export const MISC_TYPES: readonly ArtifactTypeDefinition[] = [
  {
    // ModelPack (CNCF) model-spec docs/spec.md: artifactType
    // `application/vnd.cncf.model.manifest.v1+json`, config
    // `application/vnd.cncf.model.config.v1+json`, layers
    // `application/vnd.cncf.model.{weight,weight.config,doc,code,dataset}.v1.*`.
    // `vnd.cnai.model.config.v1+json` is the draft name before the CNCF move.
    name: 'model',
    displayName: 'AI model (ModelPack)',
    description: 'A machine-learning model packaged per the CNCF ModelPack specification',
    icon: icon('nodes'),
    mediaTypes: [
      'application/vnd.cncf.model.manifest.v1+json',
      'application/vnd.cncf.model.config.v1+json',
      'application/vnd.cnai.model.config.v1+json',
    ],
    layerMediaTypes: ['application/vnd.cncf.model.*', 'application/vnd.cnai.model.*'],
    source: 'https://github.com/modelpack/model-spec/blob/main/docs/spec.md',
    category: 'model',
  },
  {
    // trivy-db README ("Building the DB"): pushed with
    // `oras push --artifact-type application/vnd.aquasec.trivy.config.v1+json`;
    // the Java DB uses the same type with a `javadb.layer` layer.
    name: 'trivy-db',
    displayName: 'Trivy database',
    description: 'The Trivy vulnerability database or Java index database',
    icon: icon('cylinder'),
    mediaTypes: ['application/vnd.aquasec.trivy.config.v1+json'],
    layerMediaTypes: [
      'application/vnd.aquasec.trivy.db.layer.v1.tar+gzip',
      'application/vnd.aquasec.trivy.javadb.layer.v1.tar+gzip',
    ],
    source: 'https://github.com/aquasecurity/trivy-db',
    category: 'other',
  },
  {
    // Artifact Hub repositories guide: repository metadata lives in an
    // artifact tagged `artifacthub.io`, config `vnd.cncf.artifacthub.config.v1+yaml`.
    name: 'artifacthub-metadata',
    displayName: 'Artifact Hub metadata',
    description: 'Artifact Hub repository metadata (artifacthub-repo.yml) stored beside a package',
    icon: icon('tag'),
    mediaTypes: ['application/vnd.cncf.artifacthub.config.v1+yaml'],
    layerMediaTypes: ['application/vnd.cncf.artifacthub.repository-metadata.layer.v1.yaml'],
    source: 'https://artifacthub.io/docs/topics/repositories/',
    category: 'other',
  },
  {
    // ORAS (oras-go content/pack): the defaults when no type is given,
    // artifactType `application/vnd.unknown.artifact.v1` (OCI 1.1) or config
    // `application/vnd.unknown.config.v1+json` (OCI 1.0). Files keep any media type.
    name: 'oras-artifact',
    displayName: 'Generic file artifact',
    description: 'Files pushed with ORAS without an artifact type of their own',
    icon: icon('page'),
    mediaTypes: ['application/vnd.unknown.artifact.v1', 'application/vnd.unknown.config.v1+json'],
    layerMediaTypes: ['*'],
    source: 'https://github.com/oras-project/oras-go',
    category: 'other',
  },
  {
    // berth's own type, designed by the image-spec "Guidelines for Artifact
    // Usage": artifactType `application/vnd.berth.docs.v1+json`, empty config,
    // Markdown (and images) as layers; the Markdown layers are its summary.
    name: 'berth-docs',
    displayName: 'Documentation',
    description: 'Documentation (Markdown and images) stored next to the artifacts it describes',
    icon: icon('book'),
    mediaTypes: ['application/vnd.berth.docs.v1+json'],
    layerMediaTypes: ['text/markdown', 'text/plain', 'image/png', 'image/svg+xml', 'image/jpeg'],
    summaryLayerMediaTypes: ['text/markdown'],
    source: 'https://github.com/opencontainers/image-spec/blob/v1.1.1/manifest.md#guidelines-for-artifact-usage',
    category: 'other',
  },
];
