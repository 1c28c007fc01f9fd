/**
 * The OpenAPI 3.1 document of the admin API, built from the route table: each route's zod
 * schemas become JSON Schema (draft 2020-12, OpenAPI 3.1's own dialect) through zod's
 * `z.toJSONSchema`, the same converter behind the protocol's AsyncAPI document.
 */
import { AdminErrorBody, ErrorCode, PROTOCOL_VERSION, toJsonSchema, type JsonSchema } from '@tavern/protocol';
import { z } from 'zod';
import { openApiPath, type AdminRoute, type ErrorStatus } from './admin.route.js';

/** The shape the document route answers with (checked like every other answer). */
export const OpenApiDocument = z.looseObject({
  openapi: z.literal('3.1.0'),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.unknown()),
});
export type OpenApiDocument = z.infer<typeof OpenApiDocument>;

const DESCRIPTION = `The admin HTTP API of a Tavern server, on the same port as Socket.IO.

Every route but this document needs \`Authorization: Bearer <JWT>\` with role \`service\` or \`admin\` (the same JWT configuration as the realtime handshake). Bodies are JSON, validated with the protocol's zod schemas (unknown fields are stripped). Every error is \`{ "error": { "code", "message", "details"? } }\`, with the code's HTTP status: \`INVALID_PAYLOAD\` 400, \`UNAUTHENTICATED\`/\`TOKEN_EXPIRED\`/\`TOKEN_REVOKED\` 401, \`FORBIDDEN\` 403, \`UNAVAILABLE\` 503 (a feature not running, or Redis unreachable), \`INTERNAL\` 500.

The realtime protocol itself is described by the AsyncAPI document at \`GET /asyncapi.json\`.`;

interface ErrorResponse {
  name: string;
  description: string;
  code: ErrorCode;
  message: string;
}

const ERROR_RESPONSES: Record<ErrorStatus | 401 | 403 | 500, ErrorResponse> = {
  400: { name: 'BadRequest', description: 'The path, query or body is invalid (`INVALID_PAYLOAD`, with the zod issues in `details`)', code: ErrorCode.INVALID_PAYLOAD, message: 'body.message: Too small: expected string to have >=1 characters' },
  401: { name: 'Unauthorized', description: 'No token, or a token that is invalid, expired or revoked (`UNAUTHENTICATED`, `TOKEN_EXPIRED`, `TOKEN_REVOKED`)', code: ErrorCode.UNAUTHENTICATED, message: 'send Authorization: Bearer <JWT>' },
  403: { name: 'Forbidden', description: 'The token has neither role `service` nor `admin` (`FORBIDDEN`)', code: ErrorCode.FORBIDDEN, message: 'the admin API needs role service or admin' },
  404: { name: 'NotFound', description: 'No such thing (`NOT_FOUND`)', code: ErrorCode.NOT_FOUND, message: 'not found' },
  409: { name: 'Conflict', description: 'The state forbids it (`CONFLICT`, `PRECONDITION_FAILED`)', code: ErrorCode.CONFLICT, message: 'conflict' },
  429: { name: 'TooManyRequests', description: 'Slow down (`RATE_LIMITED`)', code: ErrorCode.RATE_LIMITED, message: 'slow down' },
  503: { name: 'Unavailable', description: 'The feature behind the route does not run on this server, or storage is unreachable (`UNAVAILABLE`)', code: ErrorCode.UNAVAILABLE, message: 'storage is unavailable, try again shortly' },
  500: { name: 'Internal', description: 'A server bug, logged with its stack (`INTERNAL`)', code: ErrorCode.INTERNAL, message: 'internal error' },
};

/** A component of its own: the dialect tag belongs to the document (`jsonSchemaDialect`). */
function component(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = toJsonSchema(schema, io);
  return rest;
}

const ref = (kind: 'schemas' | 'responses', name: string) => ({ $ref: `#/components/${kind}/${name}` });
const capitalized = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);

function parameters(route: AdminRoute): unknown[] {
  const list: unknown[] = [];
  for (const [where, schema] of [
    ['path', route.params],
    ['query', route.query],
  ] as const) {
    if (!schema) continue;
    for (const [name, field] of Object.entries(schema.shape)) {
      const required = where === 'path' || !field.safeParse(undefined).success;
      const schema = component(field, 'input');
      list.push({ name, in: where, required, ...(typeof schema['description'] === 'string' && { description: schema['description'] }), schema });
    }
  }
  return list;
}

export function openApiDocument(table: readonly AdminRoute[]): OpenApiDocument {
  const schemas: Record<string, JsonSchema> = { Error: component(AdminErrorBody, 'output') };
  const responses: Record<string, unknown> = {};
  const paths: Record<string, Record<string, unknown>> = {};

  const errorResponse = (status: keyof typeof ERROR_RESPONSES) => {
    const { name, description, code, message } = ERROR_RESPONSES[status];
    responses[name] ??= { description, content: { 'application/json': { schema: ref('schemas', 'Error'), example: { error: { code, message } } } } };
    return ref('responses', name);
  };

  for (const route of table) {
    const base = capitalized(route.operationId);
    schemas[`${base}Result`] = component(route.response, 'output');
    const operation: Record<string, unknown> = {
      operationId: route.operationId,
      summary: route.summary,
      ...(route.description !== undefined && { description: route.description }),
      tags: ['admin'],
      // The document itself is public; every other route takes the document-wide bearer scheme.
      ...(route.public && { security: [] }),
    };
    const params = parameters(route);
    if (params.length > 0) operation['parameters'] = params;
    if (route.body) {
      schemas[`${base}Body`] = component(route.body, 'input');
      operation['requestBody'] = {
        required: true,
        content: {
          'application/json': {
            schema: ref('schemas', `${base}Body`),
            ...(route.examples?.body !== undefined && { example: route.examples.body }),
          },
        },
      };
    }
    const statuses = [...(route.public ? [] : ([401, 403] as const)), ...route.errors, 500 as const].sort((a, b) => a - b);
    operation['responses'] = {
      200: {
        description: route.summary,
        content: {
          'application/json': {
            schema: ref('schemas', `${base}Result`),
            ...(route.examples?.response !== undefined && { example: route.examples.response }),
          },
        },
      },
      ...Object.fromEntries(statuses.map((status) => [status, errorResponse(status)])),
    };
    (paths[openApiPath(route.path)] ??= {})[route.method] = operation;
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'Tavern admin API',
      version: String(PROTOCOL_VERSION),
      description: DESCRIPTION,
      license: { name: 'MIT', identifier: 'MIT' },
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    tags: [{ name: 'admin', description: 'Operating a Tavern cluster' }],
    security: [{ bearerAuth: [] }],
    paths,
    components: {
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'A JWT with role `service` or `admin` in its `roles` claim, signed with the key the server verifies handshakes with.',
        },
      },
      schemas,
      responses,
    },
  };
}
