/**
 * Every event of a contract with its slice, direction, kind, description and JSON Schemas: the
 * one model the AsyncAPI document and the Markdown reference are rendered from.
 */
import type { Contract } from './contract.js';
import { resultSchema } from './errors.js';
import { builtInContract } from './events.js';
import { toJsonSchema, type JsonSchema, type JsonSchemaTarget } from './json-schema.js';

export interface CatalogEvent {
  name: string;
  direction: 'client' | 'server';
  /** `event` for server events. */
  kind: 'command' | 'signal' | 'event';
  description: string;
  payload: JsonSchema;
  /** Commands only: the `data` of a successful ack. */
  result?: JsonSchema;
  /** Commands only: the whole ack, a `Result` of `result`. */
  ack?: JsonSchema;
  /** Client events with a default rate limit of their own. */
  rateLimit?: { ratePerSec: number; burst: number };
}

export interface CatalogDomain {
  id: string;
  title: string;
  description: string;
  events: CatalogEvent[];
}

export function eventCatalog(target: JsonSchemaTarget, contract: Contract = builtInContract): CatalogDomain[] {
  return contract.slices.map((slice) => ({
    id: slice.id,
    title: slice.title,
    description: slice.description,
    events: [
      ...Object.entries(slice.clientEvents).map(([name, definition]): CatalogEvent => {
        const event: CatalogEvent = {
          name,
          direction: 'client',
          kind: definition.kind,
          description: definition.description,
          payload: toJsonSchema(definition.payload, 'input', target),
        };
        if (definition.kind === 'command') {
          event.result = toJsonSchema(definition.result, 'output', target);
          event.ack = toJsonSchema(resultSchema(definition.result), 'output', target);
        }
        if (definition.rateLimit) event.rateLimit = definition.rateLimit;
        return event;
      }),
      ...Object.entries(slice.serverEvents).map(([name, definition]): CatalogEvent => ({
        name,
        direction: 'server',
        kind: 'event',
        description: definition.description,
        payload: toJsonSchema(definition.payload, 'output', target),
      })),
    ],
  }));
}
