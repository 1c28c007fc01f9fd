import { readFileSync } from 'node:fs';
import { DiagnosticSeverity, Parser } from '@asyncapi/parser';
import { describe, expect, it } from 'vitest';
import { protocolDomains } from './domains.js';
import { asyncApiDocument, clientEventNames, clientEventSchemas, DOCS_COMMAND, protocolMarkdown, serverEventNames } from './index.js';

/** Every `$ref` in a document. */
function refs(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(refs);
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) => (key === '$ref' && typeof child === 'string' ? [child] : refs(child)));
}

describe('asyncApiDocument', () => {
  const document = asyncApiDocument();

  it('parses with @asyncapi/parser without errors, reading nothing from outside', async () => {
    const fetched: string[] = [];
    const offline = (schema: string) => ({
      schema,
      order: 1,
      read: (uri: { toString(): string }) => {
        fetched.push(uri.toString());
        return '{}';
      },
    });
    const parser = new Parser({ __unstable: { resolver: { resolvers: ['file', 'http', 'https'].map(offline) } } });
    const { document: parsed, diagnostics } = await parser.parse(document);
    // Number(): the parser's types hold two copies of the DiagnosticSeverity enum (two @stoplight/types versions).
    const errors = diagnostics.filter((diagnostic) => Number(diagnostic.severity) === Number(DiagnosticSeverity.Error));
    expect(errors.map(({ code, path, message }) => `${code} at ${path.join('/')}: ${message}`)).toEqual([]);
    expect(parsed).toBeDefined();
    expect(fetched).toEqual([]);
    expect(refs(document).filter((ref) => !ref.startsWith('#/'))).toEqual([]);
  }, 30_000);

  it('has a send operation per client event and a receive operation per server event', () => {
    const operations = Object.values(document['operations'] as Record<string, { action: string; channel: { $ref: string } }>);
    const channels = document['channels'] as Record<string, { address: string }>;
    const addressOf = (operation: { channel: { $ref: string } }) => channels[operation.channel.$ref.split('/').at(-1) ?? '']?.address;
    const sent = operations.filter((operation) => operation.action === 'send').map(addressOf);
    const received = operations.filter((operation) => operation.action === 'receive').map(addressOf);
    expect(sent.sort()).toEqual([...clientEventNames].sort());
    expect(received.sort()).toEqual([...serverEventNames].sort());
  });

  it('describes the ack of every command as the reply, and no reply for signals', () => {
    const operations = document['operations'] as Record<string, { reply?: unknown }>;
    for (const name of clientEventNames) {
      const operation = operations[`client.${name.replaceAll(':', '.')}`];
      expect(operation, name).toBeDefined();
      if (clientEventSchemas[name].kind === 'command') expect(operation?.reply, name).toBeDefined();
      else expect(operation?.reply, name).toBeUndefined();
    }
  });
});

describe('protocolDomains', () => {
  it('holds every event exactly once', () => {
    expect(protocolDomains.flatMap((domain) => domain.clientEvents).sort()).toEqual([...clientEventNames].sort());
    expect(protocolDomains.flatMap((domain) => domain.serverEvents).sort()).toEqual([...serverEventNames].sort());
  });
});

describe('protocolMarkdown', () => {
  const markdown = protocolMarkdown();

  it('matches docs/protocol.md in the repository', () => {
    const committed = readFileSync(new URL('../../../docs/protocol.md', import.meta.url), 'utf8');
    expect(committed === markdown, `docs/protocol.md is out of date: run \`${DOCS_COMMAND}\` and commit it`).toBe(true);
  });

  it('has a section for every event in each direction', () => {
    for (const name of clientEventNames) expect(markdown).toContain(`### \`${name}\` (client → server)`);
    for (const name of serverEventNames) expect(markdown).toContain(`### \`${name}\` (server → client)`);
  });

  it('comes out the same every time', () => {
    expect(protocolMarkdown()).toBe(markdown);
  });
});
