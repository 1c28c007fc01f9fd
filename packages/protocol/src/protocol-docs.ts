/**
 * A readable Markdown reference of the protocol, generated from the schemas: per domain, every
 * event with its direction, kind, description, payload fields and ack data, then the error
 * codes. `pnpm --filter @tavern/protocol docs` writes it to `docs/protocol.md`; a test fails
 * when that file differs from this output.
 */
import { eventCatalog, type CatalogEvent } from './catalog.js';
import type { Contract } from './contract.js';
import { referenceContract } from './events.js';
import { errorCodeDescriptions } from './error-descriptions.js';
import { ErrorCode } from './errors.js';
import type { JsonSchema } from './json-schema.js';
import { PROTOCOL_VERSION } from './session.js';

export const DOCS_COMMAND = 'pnpm --filter @tavern/protocol docs';

interface Field {
  name: string;
  type: string;
  required: boolean;
  constraints: string[];
}

const code = (text: string) => `\`${text}\``;
/** Table cells may not hold a bare `|`. */
const cell = (text: string) => text.replaceAll('|', '\\|');

const variants = (schema: JsonSchema) => (schema['anyOf'] ?? schema['oneOf']) as JsonSchema[] | undefined;
const properties = (schema: JsonSchema) => schema['properties'] as Record<string, JsonSchema> | undefined;

function typeOf(schema: JsonSchema): string {
  if ('const' in schema) return JSON.stringify(schema['const']);
  const options = variants(schema);
  if (options) return [...new Set(options.map(typeOf))].join(' | ');
  const items = schema['items'] as JsonSchema | undefined;
  if (schema['type'] === 'array' && items) {
    const item = typeOf(items);
    return item.includes(' | ') ? `(${item})[]` : `${item}[]`;
  }
  const values = schema['additionalProperties'];
  if (schema['type'] === 'object' && !properties(schema) && values && typeof values === 'object') {
    return `Record<string, ${typeOf(values as JsonSchema)}>`;
  }
  if (typeof schema['type'] === 'string') return schema['type'];
  if (Array.isArray(schema['type'])) return schema['type'].join(' | ');
  return 'any';
}

interface StringAndArrayKeywords {
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  format?: string;
}

/** `Number.MAX_SAFE_INTEGER` bounds every zod integer; saying so on each field is noise. */
const isSafeIntegerBound = (value: unknown) => value === Number.MAX_SAFE_INTEGER || value === Number.MIN_SAFE_INTEGER;

function range(low: number | undefined, high: number | undefined, unit: string): string | undefined {
  if (low === undefined && high === undefined) return undefined;
  if (low !== undefined && high !== undefined) return low === high ? `${low} ${unit}` : `${low}–${high} ${unit}`;
  return low !== undefined ? `at least ${low} ${unit}` : `at most ${high} ${unit}`;
}

function constraintsOf(schema: JsonSchema): string[] {
  const options = variants(schema);
  if (options) return options.flatMap(constraintsOf);
  const keywords = schema as StringAndArrayKeywords;
  const found: string[] = [];
  const length = range(keywords.minLength, keywords.maxLength, 'chars');
  if (length) found.push(length);
  const count = range(keywords.minItems, keywords.maxItems, 'items');
  if (count) found.push(count);
  if (keywords.pattern !== undefined) found.push(`pattern ${code(keywords.pattern)}`);
  if (keywords.format !== undefined) found.push(`format ${keywords.format}`);
  if (Array.isArray(schema['enum'])) found.push(`one of ${schema['enum'].map((value) => code(String(value))).join(' ')}`);
  for (const [keyword, sign] of [
    ['minimum', '≥'],
    ['exclusiveMinimum', '>'],
    ['maximum', '≤'],
    ['exclusiveMaximum', '<'],
  ] as const) {
    const bound = schema[keyword];
    if (typeof bound === 'number' && !isSafeIntegerBound(bound)) found.push(`${sign} ${bound}`);
  }
  if (schema['default'] !== undefined) found.push(`default ${code(JSON.stringify(schema['default']))}`);
  const keys = schema['propertyNames'] as JsonSchema | undefined;
  if (keys) found.push(...constraintsOf(keys).map((constraint) => `keys: ${constraint}`));
  const items = schema['items'] as JsonSchema | undefined;
  if (items && !properties(items)) found.push(...constraintsOf(items).map((constraint) => `each: ${constraint}`));
  return found;
}

/** The object shapes a field holds, directly, as array items or as union members, to list their fields too. */
function nestedObjects(schema: JsonSchema, name: string): [string, JsonSchema][] {
  if (properties(schema)) return [[name, schema]];
  const items = schema['items'] as JsonSchema | undefined;
  if (items) return nestedObjects(items, `${name}[]`);
  const options = variants(schema);
  if (options) return options.flatMap((option) => nestedObjects(option, name));
  return [];
}

/** Every field of an object schema, nested ones as `parent.child` or `list[].child`. */
function fieldsOf(schema: JsonSchema, prefix = ''): Field[] {
  const required = new Set((schema['required'] as string[] | undefined) ?? []);
  return Object.entries(properties(schema) ?? {}).flatMap(([key, child]) => {
    const name = `${prefix}${key}`;
    const field: Field = { name, type: typeOf(child), required: required.has(key), constraints: constraintsOf(child) };
    return [field, ...nestedObjects(child, name).flatMap(([path, shape]) => fieldsOf(shape, `${path}.`))];
  });
}

function fieldTable(schema: JsonSchema): string[] {
  const fields = fieldsOf(schema);
  if (fields.length === 0) return ['None: `{}`.'];
  return [
    '| field | type | required | constraints |',
    '|---|---|---|---|',
    ...fields.map((field) =>
      `| ${code(field.name)} | ${cell(code(field.type))} | ${field.required ? 'yes' : 'no'} | ${cell(field.constraints.join('; '))} |`,
    ),
  ];
}

const DIRECTION = { client: 'client → server', server: 'server → client' } as const;

function eventSection(event: CatalogEvent): string[] {
  const lines = [`### ${code(event.name)} (${DIRECTION[event.direction]})`, '', `**${event.kind}**: ${event.description}`, ''];
  if (event.rateLimit) lines.push(`Rate limit per connection: ${event.rateLimit.ratePerSec}/s, bursts of ${event.rateLimit.burst}.`, '');
  lines.push('Payload:', '', ...fieldTable(event.payload), '');
  if (event.result) lines.push('Ack data (`{ ok: true, data }`):', '', ...fieldTable(event.result), '');
  return lines;
}

const INTRO = `# Tavern protocol reference

Generated from \`packages/protocol\` by \`${DOCS_COMMAND}\`; do not edit by hand.
The same contract as JSON Schema is \`@tavern/protocol/json-schema\`, as AsyncAPI 3.0.0 \`@tavern/protocol/asyncapi.json\`.

Protocol version ${PROTOCOL_VERSION} (clients send it as \`auth.v\`), over Socket.IO v4, default namespace \`/\`, JSON parser.

- **command** (client → server): always answered by one ack, \`{ ok: true, data }\` or \`{ ok: false, error: { code, message, retryAfterMs?, details? } }\`.
- **signal** (client → server): fire-and-forget; failures come back as the \`error\` event.
- **event** (server → client).

Payloads are validated before any handler runs; unknown fields are stripped. Field tables list
nested fields as \`parent.child\`, and the fields of array items as \`list[].child\`.`;

/** The Markdown reference of a contract (default: the built-in slices and the opt-in ones). */
export function protocolMarkdown(contract: Contract = referenceContract): string {
  const domains = eventCatalog('draft-2020-12', contract);
  const anchor = (title: string) => title.toLowerCase().replaceAll(' ', '-');
  const lines = [INTRO, '', '## Contents', ''];
  for (const domain of domains) lines.push(`- [${domain.title}](#${anchor(domain.title)})`);
  lines.push('- [Error codes](#error-codes)', '');

  for (const domain of domains) {
    lines.push(`## ${domain.title}`, '', domain.description, '', '| event | direction | kind | description |', '|---|---|---|---|');
    for (const event of domain.events) {
      lines.push(`| ${code(event.name)} | ${DIRECTION[event.direction]} | ${event.kind} | ${cell(event.description)} |`);
    }
    lines.push('');
    for (const event of domain.events) lines.push(...eventSection(event));
  }

  lines.push('## Error codes', '', 'Sent in failed acks, the `error` event and `connect_error` (`err.data = { code, message }`).', '');
  lines.push('| code | meaning |', '|---|---|');
  for (const errorCode of Object.values(ErrorCode)) lines.push(`| ${code(errorCode)} | ${cell(errorCodeDescriptions[errorCode])} |`);
  return `${lines.join('\n')}\n`;
}
