import { readFileSync } from 'node:fs';
import { DiagnosticSeverity, Parser } from '@asyncapi/parser';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  asyncApiDocument,
  builtInContract,
  builtInSlices,
  clientEventNames,
  clientEventSchemas,
  command,
  defineContract,
  defineSlice,
  DOCS_COMMAND,
  event,
  eventJsonSchemas,
  protocolMarkdown,
  serverEventNames,
} from './index.js';

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

describe('contracts', () => {
  const Roll = z.object({ sides: z.number().int().min(2).max(100) });
  const Rolled = z.object({ sides: z.number().int(), value: z.number().int() });
  const diceSlice = defineSlice({
    id: 'dice',
    title: 'Dice',
    description: 'Dice the server rolls.',
    commands: { 'dice:roll': command(Roll, Rolled, { description: 'Rolls a die.', rateLimit: { ratePerSec: 1, burst: 2 } }) },
    serverEvents: { 'dice:rolled': event(Rolled, 'Someone rolled.') },
  });
  const contract = defineContract(...builtInSlices, diceSlice);

  it('joins the built-in slices into the built-in contract, every event exactly once', () => {
    expect(builtInContract.slices.flatMap((slice) => Object.keys(slice.clientEvents)).sort()).toEqual([...clientEventNames].sort());
    expect(builtInContract.slices.flatMap((slice) => Object.keys(slice.serverEvents)).sort()).toEqual([...serverEventNames].sort());
  });

  it('refuses an event declared by two slices, a slice given twice and a name that is not domain:verb', () => {
    const twin = defineSlice({ id: 'twin', title: 'Twin', description: 'x', commands: { 'dice:roll': diceSlice.clientEvents['dice:roll'] } });
    expect(() => defineContract(diceSlice, twin)).toThrow(/dice:roll is declared by two slices/);
    expect(() => defineContract(diceSlice, diceSlice)).toThrow(/twice/);
    expect(() => defineSlice({ id: 'bad', title: 'Bad', description: 'x', commands: { Roll: diceSlice.clientEvents['dice:roll'] } })).toThrow(/domain:verb/);
  });

  it('documents a custom slice in AsyncAPI, JSON Schema and the Markdown reference', () => {
    const document = asyncApiDocument(contract, { title: 'Dice game', version: '2.0.0' });
    expect(document['info']).toMatchObject({ title: 'Dice game', version: '2.0.0' });
    const channels = document['channels'] as Record<string, { address: string }>;
    expect(channels['dice.roll']?.address).toBe('dice:roll');
    expect(channels['dice.rolled']?.address).toBe('dice:rolled');
    const operations = document['operations'] as Record<string, Record<string, unknown>>;
    expect(operations['client.dice.roll']?.['x-rate-limit']).toEqual({ ratePerSec: 1, burst: 2 });
    expect(Object.keys(eventJsonSchemas(contract).clientEvents)).toContain('dice:roll');
    const markdown = protocolMarkdown(contract);
    expect(markdown).toContain('### `dice:roll` (client → server)');
    expect(markdown).toContain('Rate limit per connection: 1/s, bursts of 2.');
    expect(protocolMarkdown()).not.toContain('dice:roll');
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
