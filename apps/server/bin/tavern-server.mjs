#!/usr/bin/env node
// The `tavern-server` command: runs the built server (dist/main.js). It is a committed file
// rather than dist/main.js itself so that pnpm can link the command when the workspace is
// installed, before anything is built.
import '../dist/main.js';
