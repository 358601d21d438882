/**
 * Built-in types for runnable images and the indexes that group them.
 * Each entry cites the public document its media types come from.
 */
import type { ArtifactTypeDefinition } from '../artifact-type.js';
import { icon } from '../icons.js';
import {
  DOCKER_CONFIG,
  DOCKER_MANIFEST_LIST,
  DOCKER_SCHEMA1,
  DOCKER_SCHEMA1_SIGNED,
  OCI_CONFIG,
  OCI_INDEX,
} from '../well-known.js';
import { OCI_IMAGE_CONFIG_SCHEMA } from './schemas/oci-image-config.js';

/** image-spec layer.md: every OCI layer media type, compressed, encrypted or not. */
const OCI_LAYERS = 'application/vnd.oci.image.layer.*';
/** Docker Image Manifest V2, Schema 2: `rootfs.diff.tar.gzip`, `rootfs.foreign.diff.tar.gzip`, ... */
const DOCKER_LAYERS = 'application/vnd.docker.image.rootfs.*';

/**
 * Layers that ride on an image config without being filesystem layers, kept in
 * the image types' lists so that layer validation does not refuse them: BuildKit
 * attestation manifests (in-toto statements), and cosign's tag-based
 * signatures and attestations (simple-signing payloads, DSSE envelopes), which
 * all use `application/vnd.oci.image.config.v1+json` and so identify as images.
 * Sources: https://docs.docker.com/build/metadata/attestations/attestation-storage/,
 * https://github.com/sigstore/cosign/blob/main/specs/SIGNATURE_SPEC.md
 */
const IMAGE_CONFIG_PASSENGERS = [
  'application/vnd.in-toto+json',
  'application/vnd.dev.cosign.simplesigning.v1+json',
  'application/vnd.dsse.envelope.v1+json',
];

export const IMAGE_TYPES: readonly ArtifactTypeDefinition[] = [
  {
    // image-spec config.md, manifest.md, layer.md (v1.1.1)
    name: 'oci-image',
    displayName: 'OCI image',
    description: 'A container image in the OCI image format',
    icon: icon('layers'),
    mediaTypes: [OCI_CONFIG],
    layerMediaTypes: [OCI_LAYERS, DOCKER_LAYERS, ...IMAGE_CONFIG_PASSENGERS],
    configSchema: OCI_IMAGE_CONFIG_SCHEMA,
    source: 'https://github.com/opencontainers/image-spec/blob/v1.1.1/config.md',
    category: 'image',
  },
  {
    // image-spec image-index.md (v1.1.1); identify.ts decides when an index is this type.
    name: 'oci-image-index',
    displayName: 'Multi-platform image',
    description: 'An OCI image index listing one image per platform',
    icon: icon('grid'),
    mediaTypes: [OCI_INDEX],
    layerMediaTypes: [],
    source: 'https://github.com/opencontainers/image-spec/blob/v1.1.1/image-index.md',
    category: 'image',
  },
  {
    // Docker Image Manifest V2, Schema 2; schema 1 manifests (no config) resolve here too.
    name: 'docker-image',
    displayName: 'Docker image',
    description: 'A container image in the Docker image manifest v2 format',
    icon: icon('slabsPorthole'),
    mediaTypes: [DOCKER_CONFIG, DOCKER_SCHEMA1, DOCKER_SCHEMA1_SIGNED],
    layerMediaTypes: [DOCKER_LAYERS, OCI_LAYERS, ...IMAGE_CONFIG_PASSENGERS],
    configSchema: OCI_IMAGE_CONFIG_SCHEMA,
    source: 'https://distribution.github.io/distribution/spec/manifest-v2-2/',
    category: 'image',
  },
  {
    // Docker Image Manifest V2, Schema 2, "Manifest List".
    name: 'docker-manifest-list',
    displayName: 'Docker manifest list',
    description: 'A Docker manifest list naming one image per platform',
    icon: icon('gridFilled'),
    mediaTypes: [DOCKER_MANIFEST_LIST],
    layerMediaTypes: [],
    source: 'https://distribution.github.io/distribution/spec/manifest-v2-2/',
    category: 'image',
  },
  {
    // OCI artifacts guidance (the seed table) names the config; Singularity and
    // Apptainer push the SIF file as one `layer.v1.sif` layer (`singularity push
    // oras://`); the `+tar` name is the artifacts project's first, later corrected one.
    name: 'sif',
    displayName: 'Singularity image (SIF)',
    description: 'A Singularity or Apptainer container in the single-file SIF format',
    icon: icon('capsule'),
    mediaTypes: ['application/vnd.sylabs.sif.config.v1+json', 'application/vnd.sylabs.sif.config.v1'],
    layerMediaTypes: ['application/vnd.sylabs.sif.layer.v1.sif', 'application/vnd.sylabs.sif.layer.v1+tar'],
    source: 'https://github.com/hpcng/singularity/issues/4437',
    category: 'image',
  },
  {
    // CNCF TAG Runtime Wasm OCI artifact (`application/vnd.wasm.config.v0+json`,
    // layer `application/wasm`, as written by wkg and oci-wasm); the older
    // oci-distribution (Krustlet) `wasm.config.v1` and Solo.io/Istio
    // `module.wasm` names are still pushed.
    name: 'wasm',
    displayName: 'WebAssembly module',
    description: 'A WebAssembly module or component packaged as an OCI artifact',
    icon: icon('hexagon'),
    mediaTypes: [
      'application/vnd.wasm.config.v0+json',
      'application/vnd.wasm.config.v1+json',
      'application/vnd.module.wasm.config.v1+json',
    ],
    layerMediaTypes: [
      'application/wasm',
      'application/vnd.wasm.content.layer.v1+wasm',
      'application/vnd.module.wasm.content.layer.v1+wasm',
    ],
    source: 'https://tag-runtime.cncf.io/wgs/wasm/deliverables/wasm-oci-artifact/',
    category: 'image',
  },
  {
    // Docker Image Manifest V2, Schema 2: "application/vnd.docker.plugin.v1+json: Plugin config JSON".
    name: 'docker-plugin',
    displayName: 'Docker Engine plugin',
    description: 'A managed Docker Engine plugin pushed with docker plugin push',
    icon: icon('plug'),
    mediaTypes: ['application/vnd.docker.plugin.v1+json'],
    layerMediaTypes: [DOCKER_LAYERS, OCI_LAYERS],
    source: 'https://distribution.github.io/distribution/spec/manifest-v2-2/',
    category: 'package',
  },
  {
    // BuildKit registry cache exported with image-manifest=true: an image
    // manifest whose config is the cache config (cache/remotecache/v1/spec.go).
    name: 'buildkit-cache',
    displayName: 'BuildKit build cache',
    description: 'Build cache exported by BuildKit to a registry (cache-to type=registry)',
    icon: icon('cylinderSpark'),
    mediaTypes: ['application/vnd.buildkit.cacheconfig.v0'],
    layerMediaTypes: [OCI_LAYERS, DOCKER_LAYERS],
    source: 'https://github.com/moby/buildkit/blob/master/cache/remotecache/v1/spec.go',
    category: 'other',
  },
];
