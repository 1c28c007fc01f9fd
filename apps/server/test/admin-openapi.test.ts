/**
 * The admin API's OpenAPI 3.1 document, as a real server serves it: valid for an OpenAPI
 * parser, listing exactly the routes the Hono app has under /api/realtime, with the error body
 * and the bearer scheme on each, and examples that hold (each documented request, sent as
 * documented, succeeds; each example matches the document's own schema).
 */
import { compileErrors, validate } from '@readme/openapi-parser';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineFeature } from '../src/api.js';
import { checkExamples, defineRoute } from '../src/features/admin/admin.route.js';
import { builtInFeatures } from '../src/features/index.js';
import { startTestServer, type TestServer } from './support/start-test-server.js';

type Json = Record<string, unknown>;
interface Operation {
  operationId: string;
  security?: unknown[];
  parameters?: { name: string; in: 'path' | 'query'; required: boolean; schema: Json }[];
  requestBody?: { content: { 'application/json': { schema: { $ref: string }; example?: unknown } } };
  responses: Record<string, { $ref?: string; content?: { 'application/json': { schema: { $ref: string }; example?: unknown } } }>;
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  security: unknown[];
  components: { schemas: Record<string, Json>; responses: Record<string, { content: { 'application/json': { schema: { $ref: string }; example: unknown } } }>; securitySchemes: Json };
}

/** The Hono app the server really serves, captured by a feature of the test's own (public API only). */
let app: Hono | undefined;
const routeProbe = defineFeature({
  name: 'route-probe',
  create: () => ({
    routes(given) {
      app = given;
    },
  }),
});

let server: TestServer;
let document: Document;

beforeAll(async () => {
  server = await startTestServer({ features: [...builtInFeatures, routeProbe] });
  const response = await fetch(`${server.url}/api/realtime/openapi.json`);
  expect(response.status).toBe(200);
  document = (await response.json()) as Document;
});
afterAll(() => server.close());

const operations = () =>
  Object.entries(document.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, operation]) => ({ path, method, operation })));

const schemaOf = (ref: string) => document.components.schemas[ref.replace('#/components/schemas/', '')]!;

describe('the admin OpenAPI document', () => {
  it('is served without a token and is valid OpenAPI 3.1 for @readme/openapi-parser', async () => {
    expect(document.openapi).toBe('3.1.0');
    // The parser dereferences in place: give it a copy.
    const result = await validate(structuredClone(document) as never);
    if (!result.valid) throw new Error(compileErrors(result));
    expect(result.valid).toBe(true);
  });

  it('lists exactly the routes the app serves under /api/realtime (no drift either way)', () => {
    if (!app) throw new Error('the probe feature did not get the app');
    const served = app.routes
      .filter((route) => route.path.startsWith('/api/realtime') && route.method !== 'ALL')
      .map((route) => `${route.method} ${route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`);
    const documented = operations().map(({ method, path }) => `${method.toUpperCase()} ${path}`);
    expect(served.length).toBeGreaterThanOrEqual(10);
    expect(new Set(served).size).toBe(served.length);
    expect([...documented].sort()).toEqual([...served].sort());
  });

  it('gives every authenticated route the bearer JWT scheme and the error body for 401, 403 and 500', () => {
    expect(document.components.securitySchemes['bearerAuth']).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    expect(document.security).toEqual([{ bearerAuth: [] }]);
    const errorSchema = document.components.schemas['Error']!;
    expect(errorSchema).toMatchObject({ properties: { error: { required: ['code', 'message'] } } });
    for (const { operation } of operations()) {
      const statuses = Object.keys(operation.responses);
      if (operation.security?.length === 0) {
        expect(operation.operationId).toBe('openapi');
      } else {
        expect(statuses, operation.operationId).toEqual(expect.arrayContaining(['200', '401', '403', '500']));
      }
      for (const status of statuses.filter((status) => status !== '200')) {
        const name = operation.responses[status]!.$ref!.replace('#/components/responses/', '');
        const response = document.components.responses[name]!;
        expect(response.content['application/json'].schema.$ref).toBe('#/components/schemas/Error');
        expect(response.content['application/json'].example).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
      }
      if (operation.requestBody) expect(statuses, operation.operationId).toContain('400');
    }
  });

  it('has examples that match the document’s own JSON Schemas', () => {
    let checked = 0;
    for (const { operation } of operations()) {
      const contents = [operation.requestBody?.content['application/json'], operation.responses['200']?.content?.['application/json']];
      for (const content of contents) {
        if (content?.example === undefined) continue;
        const schema = z.fromJSONSchema(schemaOf(content.schema.$ref));
        expect(schema.safeParse(content.example).error, `${operation.operationId} ${content.schema.$ref}`).toBeUndefined();
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(15);
  });

  it('each documented request, sent as documented, succeeds', async () => {
    const token = await server.token('ops', { roles: ['admin'] });
    let sent = 0;
    for (const { path, method, operation } of operations()) {
      const url = path.replace(/\{(\w+)\}/g, (_whole, name: string) => {
        const parameter = operation.parameters?.find((each) => each.name === name && each.in === 'path');
        const example = (parameter?.schema['examples'] as string[] | undefined)?.[0];
        if (example === undefined) throw new Error(`${operation.operationId}: path parameter ${name} has no example`);
        return encodeURIComponent(example);
      });
      let body = operation.requestBody?.content['application/json'].example;
      // The revocation example's `until` is a fixed time; the server wants one in the future.
      if (operation.operationId === 'revoke') body = { ...(body as object), until: Date.now() + 60_000 };
      if (operation.requestBody && body === undefined) throw new Error(`${operation.operationId} has no body example`);
      const response = await fetch(`${server.url}${url}`, {
        method: method.toUpperCase(),
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
      // Outside production the server checks each answer against its schema (a mismatch is a 500).
      expect(response.status, `${method} ${url}: ${await response.clone().text()}`).toBe(200);
      sent++;
    }
    expect(sent).toBe(operations().length);
  });

  it('documents the rooms query parameters with their bounds', () => {
    const rooms = document.paths['/api/realtime/rooms']!['get']!;
    expect(rooms.parameters).toEqual([
      expect.objectContaining({ name: 'limit', in: 'query', required: false, schema: expect.objectContaining({ type: 'integer', minimum: 1, maximum: 100, default: 10 }) }),
      expect.objectContaining({ name: 'kind', in: 'query', required: false }),
    ]);
  });
});

describe('route examples', () => {
  it('a wrong example stops the server at start-up, naming the route', () => {
    const route = defineRoute({
      method: 'post',
      path: '/api/realtime/demo',
      operationId: 'demo',
      summary: 'demo',
      body: z.object({ count: z.number().int() }),
      errors: [400],
      response: z.object({ ok: z.literal(true) }),
      examples: { body: { count: 1.5 }, response: { ok: true } },
      run: () => ({ ok: true as const }),
    });
    expect(() => checkExamples(route)).toThrow(/body example of demo does not match its schema/);
  });
});
