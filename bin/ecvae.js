#!/usr/bin/env node
// Entry point of the `ecvae` command: runs the bundled CLI (built by `npm run build`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  process.stderr.write('ecvae: dist/cli.js is missing; run `npm run build` (npm install runs it too).\n');
  process.exit(1);
}
await import(cli.href);
