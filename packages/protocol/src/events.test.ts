import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ChannelId,
  ChatSendPayload,
  clientEventNames,
  clientEventSchemas,
  eventJsonSchemas,
  parseRoom,
  resultSchema,
  rooms,
  serverEventNames,
  serverEventSchemas,
  ErrorCode,
} from './index.js';

describe('event maps', () => {
  it('gives every client event a kind and a payload schema, and every command a result schema', () => {
    expect(clientEventNames.length).toBeGreaterThan(50);
    for (const name of clientEventNames) {
      const definition = clientEventSchemas[name];
      expect(definition.payload, name).toBeInstanceOf(z.ZodType);
      if (definition.kind === 'command') expect(definition.result, name).toBeInstanceOf(z.ZodType);
      else expect(definition.kind, name).toBe('signal');
    }
  });

  it('names every event domain:verb', () => {
    for (const name of [...clientEventNames, ...serverEventNames]) {
      if (name === 'error') continue;
      expect(name, name).toMatch(/^[a-z]+(:[a-z]+)+$/);
    }
  });

  it('covers the events PROTOCOL.md lists', () => {
    const signals = clientEventNames.filter((name) => clientEventSchemas[name].kind === 'signal');
    expect(signals.sort()).toEqual(['character:move', 'chat:typing']);
    for (const name of ['chat:sync', 'combat:action', 'lobby:start', 'poker:timer', 'notification:read', 'matchmaking:cancel'] as const) {
      expect(clientEventNames).toContain(name);
    }
    for (const name of ['session:ready', 'zone:snapshot', 'poker:revealed', 'matchmaking:matched', 'lobby:host:changed'] as const) {
      expect(serverEventNames).toContain(name);
    }
    expect(Object.keys(serverEventSchemas)).toContain('error');
  });

  it('strips unknown fields and refuses wrong types', () => {
    const parsed = ChatSendPayload.parse({ channelId: 'room:lobby', content: 'hi', clientMsgId: 'm1', isAdmin: true });
    expect(parsed).toEqual({ channelId: 'room:lobby', content: 'hi', clientMsgId: 'm1' });
    expect(ChatSendPayload.safeParse({ channelId: 'room:lobby', content: 42, clientMsgId: 'm1' }).success).toBe(false);
    expect(ChatSendPayload.safeParse(null).success).toBe(false);
  });
});

describe('channel ids and rooms', () => {
  it('accepts every channel kind and refuses the rest', () => {
    for (const id of ['zone:tavern-district', 'guild:g1', 'party:p1', 'lobby:l1', 'room:general', 'dm:alice:bob', 'global:main']) {
      expect(ChannelId.safeParse(id).success, id).toBe(true);
    }
    for (const id of ['user:alice', 'dm:bob:alice', 'dm:alice', 'global:other', 'room:', 'room:has space', 'nokind', `room:${'x'.repeat(65)}`]) {
      expect(ChannelId.safeParse(id).success, id).toBe(false);
    }
  });

  it('sorts dm ids so both users name the same room', () => {
    expect(rooms.dm('bob', 'alice')).toBe('dm:alice:bob');
    expect(rooms.dm('alice', 'bob')).toBe('dm:alice:bob');
    expect(parseRoom('dm:alice:bob')).toEqual({ kind: 'dm', id: 'alice:bob', userIds: ['alice', 'bob'] });
    expect(parseRoom('zone:a')).toEqual({ kind: 'zone', id: 'a' });
    expect(parseRoom('table:t1')).toEqual({ kind: 'table', id: 't1' });
    for (const name of ['Bad:a', '9lives:a', 'table:', 'table:has space', ':a', 'nokind']) expect(parseRoom(name), name).toBeNull();
  });
});

describe('results and JSON Schema', () => {
  it('describes both arms of Result', () => {
    const schema = resultSchema(z.object({ n: z.number() }));
    expect(schema.safeParse({ ok: true, data: { n: 1 } }).success).toBe(true);
    expect(schema.safeParse({ ok: false, error: { code: ErrorCode.FORBIDDEN, message: 'no' } }).success).toBe(true);
    expect(schema.safeParse({ ok: false, error: { code: 'NOPE', message: 'no' } }).success).toBe(false);
  });

  it('exports a JSON Schema for every event', () => {
    const doc = eventJsonSchemas();
    expect(Object.keys(doc.clientEvents).sort()).toEqual([...clientEventNames].sort());
    expect(Object.keys(doc.serverEvents).sort()).toEqual([...serverEventNames].sort());
    const send = doc.clientEvents['chat:send']!;
    expect(send.kind).toBe('command');
    expect(send.payload).toMatchObject({ type: 'object', required: expect.arrayContaining(['channelId', 'content', 'clientMsgId']) });
    expect(send.ack).toBeDefined();
    expect(doc.clientEvents['character:move']?.ack).toBeUndefined();
    expect(doc.serverEvents['chat:message']).toMatchObject({ type: 'object' });
  });
});
