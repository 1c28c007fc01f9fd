/**
 * JSON Schema (draft 2020-12) for every event of a contract, so clients in other languages can validate
 * what they send and receive. The build writes the same document to `dist/events.schema.json`.
 */
import { z } from 'zod';
import { resultSchema } from './errors.js';
import type { Contract } from './contract.js';
import { builtInContract } from './events.js';
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
  clientEvents: Record<string, ClientEventJsonSchema>;
  serverEvents: Record<string, JsonSchema>;
}

/** What a sender writes (`input`) or a receiver gets (`output`), as JSON Schema. */
export function toJsonSchema(schema: z.ZodType, io: 'input' | 'output', target: JsonSchemaTarget = 'draft-2020-12'): JsonSchema {
  return z.toJSONSchema(schema, { io, target, unrepresentable: 'any' });
}

/** One JSON Schema per event of a contract (default: the built-in one). */
export function eventJsonSchemas(contract: Contract = builtInContract): EventJsonSchemas {
  const clientEvents: Record<string, ClientEventJsonSchema> = {};
  for (const [name, definition] of Object.entries(contract.clientEvents)) {
    const entry: ClientEventJsonSchema = { kind: definition.kind, payload: toJsonSchema(definition.payload, 'input') };
    if (definition.kind === 'command') entry.ack = toJsonSchema(resultSchema(definition.result), 'output');
    clientEvents[name] = entry;
  }
  const serverEvents: Record<string, JsonSchema> = {};
  for (const [name, definition] of Object.entries(contract.serverEvents)) {
    serverEvents[name] = toJsonSchema(definition.payload, 'output');
  }
  return { protocolVersion: PROTOCOL_VERSION, clientEvents, serverEvents };
}
