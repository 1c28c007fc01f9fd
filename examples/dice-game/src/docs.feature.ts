/**
 * A feature without events: serves the AsyncAPI document of the contract this server runs
 * (the built-in slices and dice) at `GET /asyncapi.json`, for code generators and viewers.
 */
import { asyncApiDocument } from '@tavern/protocol';
import { defineFeature } from '@tavern/server';

export const docsFeature = defineFeature({
  name: 'docs',
  create: ({ contract }) => {
    const document = JSON.stringify(asyncApiDocument(contract, { title: 'Dice game', version: '1.0.0' }));
    return {
      routes: (app) => {
        app.get('/asyncapi.json', (c) => c.body(document, 200, { 'content-type': 'application/json' }));
      },
    };
  },
});
