/**
 * The start-up error for a bad artifact type definition or type policy.
 * It is never sent to clients: berth refuses to start and prints the message.
 */

/** Where a definition came from, for messages: a file path or a config path. */
export interface DefinitionOrigin {
  /** `types/acme.yaml`, or `config artifactTypes`. */
  readonly label: string;
  /** JSON pointer of the definition inside that origin (`/2` for the third entry), or `''`. */
  readonly pointer: string;
}

/**
 * A definition failed validation. The message names the origin (when known),
 * the type and the JSON pointer of the bad field, then says what is wrong:
 *
 *     types/acme.yaml: artifact type "acme-widget": /mediaTypes/1: "acme widget" is not a valid media type ...
 *
 * @example
 * throw new ArtifactTypeError('must be lower-kebab', { typeName: 'Helm', pointer: '/name' });
 */
export class ArtifactTypeError extends Error {
  override readonly name = 'ArtifactTypeError';
  /** The definition's `name`, when it had a readable one. */
  readonly typeName: string | undefined;
  /** JSON pointer of the bad field inside the definition (`/mediaTypes/1`); `''` for the whole. */
  readonly pointer: string;
  /** The file or config path, when the definition was loaded from one. */
  readonly origin: DefinitionOrigin | undefined;
  /** What is wrong, without the location prefix. */
  readonly problem: string;

  constructor(
    problem: string,
    where: { typeName?: string | undefined; pointer?: string; origin?: DefinitionOrigin | undefined },
  ) {
    const pointer = where.pointer ?? '';
    const parts: string[] = [];
    if (where.origin !== undefined) parts.push(where.origin.label);
    if (where.typeName !== undefined) parts.push(`artifact type "${where.typeName}"`);
    const location = where.origin === undefined ? pointer : `${where.origin.pointer}${pointer}`;
    if (location !== '') parts.push(location);
    else if (where.origin === undefined) parts.push('(whole definition)');
    super(`${parts.join(': ')}: ${problem}`);
    this.typeName = where.typeName;
    this.pointer = pointer;
    this.origin = where.origin;
    this.problem = problem;
  }

  /** The same error, placed in an origin (a file or a config path). */
  withOrigin(origin: DefinitionOrigin): ArtifactTypeError {
    return new ArtifactTypeError(this.problem, {
      typeName: this.typeName,
      pointer: this.pointer,
      origin,
    });
  }
}

/**
 * Escapes one JSON pointer reference token (RFC 6901 §3).
 *
 * @example
 * pointerToken('com.acme/owner'); // 'com.acme~1owner'
 */
export function pointerToken(token: string | number): string {
  return String(token).replace(/~/g, '~0').replace(/\//g, '~1');
}
