/**
 * An AsyncAPI 3.0.0 document for a contract, generated from the schemas so it cannot
 * drift from them. The build writes it to `dist/asyncapi.json`.
 *
 * It describes a Tavern client: client events are `send` operations (a command's ack is the
 * operation's `reply`), server events are `receive` operations. Each Socket.IO event name is one
 * channel, so a name used in both directions (`chat:read`) is one channel with both operations.
 */
import { eventCatalog, type CatalogEvent } from './catalog.js';
import type { Contract } from './contract.js';
import { builtInContract } from './events.js';
import type { JsonSchema } from './json-schema.js';
import { PROTOCOL_VERSION } from './session.js';

export type AsyncApiDocument = Record<string, unknown> & { asyncapi: '3.0.0' };

type Ref = { $ref: string };
const ref = (path: string): Ref => ({ $ref: `#/${path}` });

/** Component and channel ids may not hold `:`; `chat:member:joined` becomes `chat.member.joined`. */
const channelId = (eventName: string) => eventName.replaceAll(':', '.');
const messageId = (event: CatalogEvent) => `${event.direction}.${channelId(event.name)}`;

/** AsyncAPI schemas are documents of their own here; the JSON Schema dialect tag is noise. */
function schemaComponent(schema: JsonSchema): JsonSchema {
  const { $schema: _dialect, ...rest } = schema;
  return rest;
}

const DESCRIPTION = `Tavern's realtime protocol (version ${PROTOCOL_VERSION}) over Socket.IO v4 (Engine.IO 4), default namespace \`/\`, JSON parser.

This document describes a client. Each channel is one Socket.IO event name (its \`address\`). Client events are \`send\` operations: **commands** always carry an ack, described as the operation's \`reply\`: a \`Result\`, \`{ ok: true, data }\` or \`{ ok: false, error: { code, message, retryAfterMs?, details? } }\`; **signals** are fire-and-forget, and their failures come back as the \`error\` event. Server events are \`receive\` operations.

Every client payload is validated before any handler runs; unknown fields are stripped. Ids are 1–64 characters from \`[A-Za-z0-9_.-]\`; times are integer epoch milliseconds.`;

const SECURITY_DESCRIPTION = `A JWT (HS256, RS256 or ES256; \`exp\` required; \`sub\` is the user id). Send it in the Socket.IO handshake as \`auth.token\`, with the protocol version as \`auth.v\`: \`io(url, { auth: { token, v: ${PROTOCOL_VERSION} } })\`. The server also accepts it as an \`Authorization: Bearer\` header. A refused handshake arrives as \`connect_error\` with \`err.message\` equal to the error code and \`err.data = { code, message }\`.`;

export interface AsyncApiOptions {
  /** @default 'Tavern' */
  title?: string;
  /** The studio's own version of its contract. @default the protocol version */
  version?: string;
}

/** The AsyncAPI document of a contract (default: the built-in one). */
export function asyncApiDocument(contract: Contract = builtInContract, options: AsyncApiOptions = {}): AsyncApiDocument {
  const domains = eventCatalog('draft-07', contract);
  const channels: Record<string, { address: string; title: string; messages: Record<string, Ref> }> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  const schemas: Record<string, JsonSchema> = {};

  for (const domain of domains) {
    for (const event of domain.events) {
      const id = channelId(event.name);
      const channel = (channels[id] ??= { address: event.name, title: event.name, messages: {} });
      const message = messageId(event);
      schemas[message] = schemaComponent(event.payload);
      messages[message] = {
        name: event.name,
        title: event.name,
        summary: event.description,
        payload: ref(`components/schemas/${message}`),
      };
      channel.messages[message] = ref(`components/messages/${message}`);

      const operation: Record<string, unknown> = {
        action: event.direction === 'client' ? 'send' : 'receive',
        channel: ref(`channels/${id}`),
        title: `${event.name} (${event.kind})`,
        summary: event.description,
        tags: [{ name: domain.id }],
        messages: [ref(`channels/${id}/messages/${message}`)],
        // The event's default token bucket per connection (a specification extension).
        ...(event.rateLimit && { 'x-rate-limit': event.rateLimit }),
      };
      if (event.ack) {
        const ack = `${message}.ack`;
        schemas[ack] = schemaComponent(event.ack);
        messages[ack] = {
          name: `${event.name} ack`,
          title: `${event.name} ack`,
          summary: `The ack of \`${event.name}\`: \`{ ok: true, data }\` or \`{ ok: false, error }\`.`,
          payload: ref(`components/schemas/${ack}`),
        };
        channel.messages[ack] = ref(`components/messages/${ack}`);
        operation['reply'] = { channel: ref(`channels/${id}`), messages: [ref(`channels/${id}/messages/${ack}`)] };
      }
      operations[message] = operation;
    }
  }

  return {
    asyncapi: '3.0.0',
    id: 'urn:tavern:protocol',
    info: {
      title: options.title ?? 'Tavern',
      version: options.version ?? String(PROTOCOL_VERSION),
      description: DESCRIPTION,
      license: { name: 'MIT' },
      tags: domains.map(({ id, title, description }) => ({ name: id, description: `${title}: ${description}` })),
    },
    defaultContentType: 'application/json',
    servers: {
      local: {
        host: 'localhost:3001',
        protocol: 'ws',
        pathname: '/socket.io/',
        title: 'Local Tavern server',
        description: 'Socket.IO v4 (Engine.IO 4) over WebSocket, with HTTP long-polling as fallback; default namespace `/`.',
        security: [ref('components/securitySchemes/handshakeJwt'), ref('components/securitySchemes/queryJwt')],
      },
    },
    channels,
    operations,
    components: {
      schemas,
      messages,
      securitySchemes: {
        handshakeJwt: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: SECURITY_DESCRIPTION },
        queryJwt: {
          type: 'httpApiKey',
          name: 'token',
          in: 'query',
          description: 'The same JWT as the `token` query parameter; accepted only when the server sets `AUTH_ALLOW_QUERY_TOKEN=true`.',
        },
      },
    },
  };
}
