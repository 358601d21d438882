/**
 * Loads operator-defined artifact types from the config file and from a types
 * directory of YAML or JSON files. Bad definitions fail start-up with a
 * message that names the file (or config path), the type and the JSON pointer
 * of the bad field.
 *
 * A file holds one definition (a mapping) or several (a sequence). Operators
 * may omit `icon` (a generic glyph is drawn), `layerMediaTypes` (none
 * declared) and `category` (`other`).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import type { ArtifactTypeDefinition } from './artifact-type.js';
import { ArtifactTypeError, type DefinitionOrigin, pointerToken } from './artifact-type-error.js';
import { checkDefinition, compileDefinitionSchema } from './definition-check.js';
import { DEFAULT_ICON } from './icons.js';
import { printable } from './media-type.js';
import { createSchemaCompiler } from './schema-compiler.js';
import type { SourcedDefinition } from './type-registry.js';

/** File extensions read from a types directory. */
export const TYPE_FILE_EXTENSIONS = ['.yaml', '.yml', '.json'] as const;

function withDefaults(raw: Record<string, unknown>): ArtifactTypeDefinition {
  return {
    icon: DEFAULT_ICON,
    layerMediaTypes: [],
    category: 'other',
    ...raw,
  } as unknown as ArtifactTypeDefinition;
}

/**
 * Validates raw definitions (parsed YAML/JSON values) and applies the defaults.
 * The registry checks again across all types (unique names and media types).
 *
 * @param label where the values came from: a file path or `config artifactTypes`.
 * @throws ArtifactTypeError `<label>: artifact type "<name>": <pointer>: <problem>`.
 *
 * @example
 * parseTypeDefinitions([{ name: 'acme-widget', displayName: 'Widget', description: 'A widget',
 *   mediaTypes: ['application/vnd.acme.widget.config.v1+json'], source: 'https://acme.example/widget' }],
 *   'config artifactTypes');
 */
export function parseTypeDefinitions(values: readonly unknown[], label: string): SourcedDefinition[] {
  const parse = createDefinitionParser();
  return values.map((value, index) => parse(value, { label, pointer: `/${pointerToken(index)}` }));
}

/** Checks one raw definition in its origin and returns it with defaults applied. */
function createDefinitionParser(): (value: unknown, origin: DefinitionOrigin) => SourcedDefinition {
  const compiler = createSchemaCompiler();
  const shape = compileDefinitionSchema(compiler);
  return (value, origin) => {
    // Defaults only fill optional fields, so a missing required field is
    // still reported as missing; a non-object fails the shape check as is.
    const definition =
      typeof value === 'object' && value !== null && !Array.isArray(value)
        ? withDefaults(value as Record<string, unknown>)
        : value;
    checkDefinition(definition, compiler, shape, origin);
    return { definition: definition as ArtifactTypeDefinition, origin };
  };
}

/**
 * Parses the text of one types file. Mappings are one definition, sequences
 * several; each definition's origin pointer is relative to the file.
 *
 * @throws ArtifactTypeError naming the file (and the line and column of a syntax error).
 *
 * @example
 * parseTypeFile('types/acme.yaml', 'name: acme-widget\ndisplayName: Widget\n...');
 */
export function parseTypeFile(fileName: string, text: string): SourcedDefinition[] {
  const document = parseDocument(text, { uniqueKeys: true });
  const [syntax] = document.errors;
  if (syntax !== undefined) {
    // The first line of yaml's message ends with "at line L, column C:".
    const reason = (syntax.message.split('\n')[0] ?? '').replace(/:$/, '');
    const format = fileName.endsWith('.json') ? 'JSON' : 'YAML';
    throw new ArtifactTypeError(`is not valid ${format}: ${printable(reason)}`, {
      origin: { label: fileName, pointer: '' },
    });
  }
  const value: unknown = document.toJS();
  if (Array.isArray(value)) return parseTypeDefinitions(value, fileName);
  if (typeof value === 'object' && value !== null) {
    return [createDefinitionParser()(value, { label: fileName, pointer: '' })];
  }
  throw new ArtifactTypeError('must contain one type definition (a mapping) or a list of them', {
    origin: { label: fileName, pointer: '' },
  });
}

/**
 * Reads every `.yaml`, `.yml` and `.json` file of a directory (not recursive),
 * in name order, so the result does not depend on the file system.
 *
 * @throws ArtifactTypeError for a bad file; the fs error when the directory cannot be read.
 *
 * @example
 * const operatorTypes = await loadTypesFromDirectory('/etc/berth/types');
 * const registry = createTypeRegistry([...BUILTIN_TYPES, ...operatorTypes]);
 */
export async function loadTypesFromDirectory(directory: string): Promise<SourcedDefinition[]> {
  const entries = await readdir(directory, { withFileTypes: true });
  const files = entries
    .filter((entry) => entry.isFile() && TYPE_FILE_EXTENSIONS.some((ext) => entry.name.endsWith(ext)))
    .map((entry) => entry.name)
    .sort();
  const loaded: SourcedDefinition[] = [];
  for (const file of files) {
    const path = join(directory, file);
    loaded.push(...parseTypeFile(path, await readFile(path, 'utf8')));
  }
  return loaded;
}

/**
 * Loads the operator types of both places: the config file's list first, then
 * the directory's files. Pass the result after the built-ins to
 * `createTypeRegistry`, which lets later definitions override earlier ones by name.
 *
 * @example
 * const registry = createTypeRegistry([
 *   ...BUILTIN_TYPES,
 *   ...(await loadOperatorTypes({ config: config.artifactTypes, directory: config.typesDirectory })),
 * ]);
 */
export async function loadOperatorTypes(from: {
  config?: readonly unknown[] | undefined;
  configLabel?: string;
  directory?: string | undefined;
}): Promise<SourcedDefinition[]> {
  const fromConfig =
    from.config === undefined ? [] : parseTypeDefinitions(from.config, from.configLabel ?? 'config artifactTypes');
  const fromDirectory = from.directory === undefined ? [] : await loadTypesFromDirectory(from.directory);
  return [...fromConfig, ...fromDirectory];
}
