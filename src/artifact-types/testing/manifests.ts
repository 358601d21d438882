/**
 * Test support: small builders for manifests, so tests state only the fields
 * they are about.
 */
import type { DescriptorLike } from '../identify.js';
import type { ValidationInput } from '../validate.js';
import { OCI_EMPTY, OCI_INDEX, OCI_MANIFEST } from '../well-known.js';

type Manifest = ValidationInput['manifest'];

/** An OCI image manifest with the given config and layer media types. */
export function imageManifest(configType: string, layerTypes: string[] = [], extra: Partial<Manifest> = {}): Manifest {
  return {
    mediaType: OCI_MANIFEST,
    config: { mediaType: configType },
    layers: layerTypes.map((mediaType) => ({ mediaType })),
    ...extra,
  };
}

/** An OCI 1.1 artifact: `artifactType`, empty config, the given layers. */
export function artifactManifest(
  artifactType: string,
  layerTypes: string[] = [OCI_EMPTY],
  extra: Partial<Manifest> = {},
): Manifest {
  return imageManifest(OCI_EMPTY, layerTypes, { artifactType, ...extra });
}

/** An OCI index over the given children. */
export function indexManifest(children: DescriptorLike[], extra: Partial<Manifest> = {}): Manifest {
  return { mediaType: OCI_INDEX, manifests: children, ...extra };
}

/** An image child of an index. */
export const IMAGE_CHILD: DescriptorLike = { mediaType: OCI_MANIFEST };
