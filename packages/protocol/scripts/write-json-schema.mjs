// Writes the generated contract documents from the built package:
// dist/events.schema.json (one JSON Schema per event) and dist/asyncapi.json (AsyncAPI 3.0.0).
import { writeFileSync } from 'node:fs';
import { asyncApiDocument, eventJsonSchemas } from '../dist/index.js';

for (const [file, document] of [
  ['events.schema.json', eventJsonSchemas()],
  ['asyncapi.json', asyncApiDocument()],
]) {
  const target = new URL(`../dist/${file}`, import.meta.url);
  writeFileSync(target, `${JSON.stringify(document, null, 2)}\n`);
  console.log(`wrote ${target.pathname}`);
}
