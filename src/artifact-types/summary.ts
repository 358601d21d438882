/**
 * README layers: the layers of an artifact that hold a human-readable summary
 * a UI can render next to it.
 */
import type { ArtifactTypeDefinition } from './artifact-type.js';
import { mediaTypeMatches, normalizeMediaType } from './media-type.js';
import { TITLE_ANNOTATION } from './well-known.js';

/** The descriptor fields summary detection reads. */
export interface SummaryCandidate {
  mediaType: string;
  annotations?: Record<string, string>;
}

const MARKDOWN_TYPES: ReadonlySet<string> = new Set(['text/markdown', 'text/x-markdown']);
const MARKDOWN_FILE = /\.(?:md|markdown)$/i;

function isSummary(layer: SummaryCandidate, def: ArtifactTypeDefinition | undefined): boolean {
  if (def?.summaryLayerMediaTypes?.some((pattern) => mediaTypeMatches(pattern, layer.mediaType)) === true) {
    return true;
  }
  const mediaType = normalizeMediaType(layer.mediaType);
  if (MARKDOWN_TYPES.has(mediaType)) return true;
  // `application/vnd.acme.summary.layer.v1.md`, `application/vnd.acme.readme+markdown`
  if (mediaType.endsWith('+markdown') || MARKDOWN_FILE.test(mediaType)) return true;
  const title = layer.annotations?.[TITLE_ANNOTATION];
  return title !== undefined && MARKDOWN_FILE.test(title.trim());
}

/**
 * The layers that mark themselves as a README or summary, in manifest order.
 * A layer is one when any of these holds:
 *
 * - its media type is one of the type's `summaryLayerMediaTypes`;
 * - its media type is `text/markdown` (or the older `text/x-markdown`);
 * - its media type ends in `+markdown`, `.md` or `.markdown`
 *   (`application/vnd.acme.summary.layer.v1.md`);
 * - its `org.opencontainers.image.title` annotation names a `.md` or
 *   `.markdown` file (what `oras push README.md` writes, whatever media type).
 *
 * Returns the descriptors themselves; fetching, size limits and sanitising the
 * Markdown are the caller's job.
 *
 * @example
 * findSummaryLayers({ layers: [
 *   { mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip' },
 *   { mediaType: 'text/markdown', annotations: { 'org.opencontainers.image.title': 'README.md' } },
 * ] });
 * // [{ mediaType: 'text/markdown', annotations: { 'org.opencontainers.image.title': 'README.md' } }]
 */
export function findSummaryLayers<T extends SummaryCandidate>(
  manifest: { layers?: readonly T[] },
  def?: ArtifactTypeDefinition,
): T[] {
  return (manifest.layers ?? []).filter((layer) => isSummary(layer, def));
}
