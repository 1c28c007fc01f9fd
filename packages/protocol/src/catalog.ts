/**
 * Every event with its domain, direction, kind, description and JSON Schemas: the one model
 * the AsyncAPI document and the Markdown reference are rendered from.
 */
import { clientEventDescriptions, serverEventDescriptions } from './descriptions.js';
import { protocolDomains, type ProtocolDomain } from './domains.js';
import { resultSchema } from './errors.js';
import { clientEventSchemas, serverEventSchemas } from './events.js';
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
}

export interface CatalogDomain extends Omit<ProtocolDomain, 'clientEvents' | 'serverEvents'> {
  events: CatalogEvent[];
}

export function eventCatalog(target: JsonSchemaTarget): CatalogDomain[] {
  return protocolDomains.map(({ clientEvents, serverEvents, ...domain }) => ({
    ...domain,
    events: [
      ...clientEvents.map((name): CatalogEvent => {
        const definition = clientEventSchemas[name];
        const event: CatalogEvent = {
          name,
          direction: 'client',
          kind: definition.kind,
          description: clientEventDescriptions[name],
          payload: toJsonSchema(definition.payload, 'input', target),
        };
        if (definition.kind === 'command') {
          event.result = toJsonSchema(definition.result, 'output', target);
          event.ack = toJsonSchema(resultSchema(definition.result), 'output', target);
        }
        return event;
      }),
      ...serverEvents.map((name): CatalogEvent => ({
        name,
        direction: 'server',
        kind: 'event',
        description: serverEventDescriptions[name],
        payload: toJsonSchema(serverEventSchemas[name], 'output', target),
      })),
    ],
  }));
}
