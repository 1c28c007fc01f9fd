/**
 * JSON Schema (draft 2020-12) for every event, so clients in other languages can validate
 * what they send and receive. The build writes the same document to `dist/events.schema.json`.
 */
import { z } from 'zod';
import { resultSchema } from './errors.js';
import { clientEventSchemas, serverEventSchemas, type ClientEventName, type ServerEventName } from './events.js';
import { PROTOCOL_VERSION } from './session.js';

export type JsonSchema = Record<string, unknown>;

/** `draft-2020-12` for `events.schema.json`; `draft-07` for AsyncAPI, whose Schema Object is a superset of it. */
export type JsonSchemaTarget = 'draft-2020-12' | 'draft-07';

export interface ClientEventJsonSchema {
  kind: 'command' | 'signal';
  payload: JsonSchema;
  /** Only for commands: the ack, a `Result` of the command's data. */
  ack?: JsonSchema;
}

export interface EventJsonSchemas {
  protocolVersion: number;
  clientEvents: Record<ClientEventName, ClientEventJsonSchema>;
  serverEvents: Record<ServerEventName, JsonSchema>;
}

/** What a sender writes (`input`) or a receiver gets (`output`), as JSON Schema. */
export function toJsonSchema(schema: z.ZodType, io: 'input' | 'output', target: JsonSchemaTarget = 'draft-2020-12'): JsonSchema {
  return z.toJSONSchema(schema, { io, target, unrepresentable: 'any' });
}

export function eventJsonSchemas(): EventJsonSchemas {
  const clientEvents = {} as Record<ClientEventName, ClientEventJsonSchema>;
  for (const [name, definition] of Object.entries(clientEventSchemas) as [ClientEventName, (typeof clientEventSchemas)[ClientEventName]][]) {
    const entry: ClientEventJsonSchema = { kind: definition.kind, payload: toJsonSchema(definition.payload, 'input') };
    if (definition.kind === 'command') entry.ack = toJsonSchema(resultSchema(definition.result), 'output');
    clientEvents[name] = entry;
  }
  const serverEvents = {} as Record<ServerEventName, JsonSchema>;
  for (const [name, schema] of Object.entries(serverEventSchemas) as [ServerEventName, z.ZodType][]) {
    serverEvents[name] = toJsonSchema(schema, 'output');
  }
  return { protocolVersion: PROTOCOL_VERSION, clientEvents, serverEvents };
}
