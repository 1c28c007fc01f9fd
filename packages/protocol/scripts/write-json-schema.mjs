// Writes dist/events.schema.json from the built package: one JSON Schema per event.
import { writeFileSync } from 'node:fs';
import { eventJsonSchemas } from '../dist/index.js';

const target = new URL('../dist/events.schema.json', import.meta.url);
writeFileSync(target, `${JSON.stringify(eventJsonSchemas(), null, 2)}\n`);
console.log(`wrote ${target.pathname}`);
