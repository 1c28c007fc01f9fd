// Writes docs/protocol.md at the repository root from the built package (run through `pnpm docs`,
// which builds first). A test fails when the committed file differs from protocolMarkdown().
import { mkdirSync, writeFileSync } from 'node:fs';
import { protocolMarkdown } from '../dist/index.js';

const target = new URL('../../../docs/protocol.md', import.meta.url);
mkdirSync(new URL('.', target), { recursive: true });
writeFileSync(target, protocolMarkdown());
console.log(`wrote ${target.pathname}`);
