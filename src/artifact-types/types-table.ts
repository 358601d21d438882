/**
 * Renders the type list as a Markdown table, for `README-types.md` (a test
 * keeps the file in step with `BUILTIN_TYPES`) and for `berth types list --markdown`.
 */
import type { ArtifactTypeDefinition } from './artifact-type.js';

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/**
 * One row per type: name, display name, category, identifying media types, source.
 *
 * @example
 * renderTypesTable(BUILTIN_TYPES);
 * // '| Name | Display name | Category | Media types | Source |\n|---|---|---|---|---|\n| `oci-image` | ...'
 */
export function renderTypesTable(definitions: readonly ArtifactTypeDefinition[]): string {
  const rows = definitions.map((def) =>
    [
      `\`${def.name}\``,
      cell(def.displayName),
      def.category,
      def.mediaTypes.map((mediaType) => `\`${cell(mediaType)}\``).join('<br>'),
      def.source === undefined ? '' : `[source](${def.source})`,
    ].join(' | '),
  );
  return [
    '| Name | Display name | Category | Media types | Source |',
    '|---|---|---|---|---|',
    ...rows.map((row) => `| ${row} |`),
  ].join('\n');
}
