/**
 * Applies the JSON Patch operations of `room:patch` (RFC 6902 `add`, `remove`, `replace`,
 * the ones the server sends) without changing the state it is given: only the objects on
 * each operation's path are copied, so an unchanged part keeps its identity (cheap equality
 * checks in React). Throws on a path that does not exist; the room then asks for the full state.
 *
 * @example
 * applyRoomPatch({ players: { a: { x: 1 } } }, [{ op: 'replace', path: '/players/a/x', value: 2 }]) // { players: { a: { x: 2 } } }
 */
import type { RoomPatchOperation } from '@tavern/protocol';

const unescape = (token: string) => token.replaceAll('~1', '/').replaceAll('~0', '~');

type Container = Record<string, unknown> | unknown[];

const isContainer = (value: unknown): value is Container => typeof value === 'object' && value !== null;

function indexIn(array: readonly unknown[], token: string, op: RoomPatchOperation['op']): number {
  if (token === '-' && op === 'add') return array.length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new Error(`not an array index: ${token}`);
  const index = Number(token);
  if (index > array.length || (op !== 'add' && index === array.length)) throw new Error(`index ${index} out of range`);
  return index;
}

function applyAt(target: unknown, tokens: readonly string[], operation: RoomPatchOperation): unknown {
  if (tokens.length === 0) {
    if (operation.op === 'remove') throw new Error('cannot remove the whole state');
    return operation.value;
  }
  if (!isContainer(target)) throw new Error(`no container at ${operation.path}`);
  const [token, ...rest] = tokens as [string, ...string[]];
  if (Array.isArray(target)) {
    const copy = [...target];
    const index = indexIn(copy, token, rest.length === 0 ? operation.op : 'replace');
    if (rest.length > 0) copy[index] = applyAt(copy[index], rest, operation);
    else if (operation.op === 'add') copy.splice(index, 0, operation.value);
    else if (operation.op === 'remove') copy.splice(index, 1);
    else copy[index] = operation.value;
    return copy;
  }
  const key = unescape(token);
  const copy: Record<string, unknown> = { ...target };
  if (rest.length > 0) {
    if (!Object.hasOwn(copy, key)) throw new Error(`no ${key} at ${operation.path}`);
    copy[key] = applyAt(copy[key], rest, operation);
  } else if (operation.op === 'remove') {
    if (!Object.hasOwn(copy, key)) throw new Error(`nothing to remove at ${operation.path}`);
    delete copy[key];
  } else {
    if (operation.op === 'replace' && !Object.hasOwn(copy, key)) throw new Error(`nothing to replace at ${operation.path}`);
    copy[key] = operation.value;
  }
  return copy;
}

export function applyRoomPatch<State>(state: State, operations: readonly RoomPatchOperation[]): State {
  let next: unknown = state;
  for (const operation of operations) {
    if (operation.path !== '' && !operation.path.startsWith('/')) throw new Error(`not a JSON Pointer: ${operation.path}`);
    next = applyAt(next, operation.path === '' ? [] : operation.path.slice(1).split('/'), operation);
  }
  return next as State;
}
