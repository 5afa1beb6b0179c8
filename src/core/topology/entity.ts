/** An entity: what features describe (a card, a customer), identified by one or more key fields. */
export interface Entity {
  readonly kind: 'entity';
  readonly name: string;
  readonly keys: readonly string[];
  readonly description: string | undefined;
}

export function entity(
  name: string,
  options: { keys: readonly [string, ...string[]]; description?: string },
): Entity {
  return { kind: 'entity', name, keys: [...options.keys], description: options.description };
}
