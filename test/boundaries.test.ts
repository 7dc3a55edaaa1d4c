/**
 * The module boundary between the two ends: the extension and the webview script import
 * from the sidecar only its protocol module (types and the tables both ends need), never
 * the engine, so that the extension host stays free of TF.js and of run-file formats.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { repoRoot } from './helpers.ts';

function sources(dir: string): string[] {
  return readdirSync(join(repoRoot, dir), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => join(dir, f));
}

test('extension/ and media/ import from sidecar/ only sidecar/protocol.ts', () => {
  const offending: string[] = [];
  for (const file of [...sources('extension'), ...sources('media')]) {
    const text = readFileSync(join(repoRoot, file), 'utf8');
    for (const m of text.matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      const spec = m[1] ?? m[2]!;
      if (!spec.startsWith('.')) continue;
      const target = relative(repoRoot, resolve(repoRoot, dirname(file), spec));
      if (target.startsWith('sidecar') && target !== join('sidecar', 'protocol.ts')) offending.push(`${file} imports ${spec}`);
    }
  }
  assert.deepEqual(offending, []);
});

test('the protocol schema defines params for exactly the methods of sidecar/protocol.ts', async () => {
  const { METHOD_NAMES } = await import('../sidecar/protocol.ts');
  const { schemaMethods } = await import('../sidecar/params.ts');
  assert.deepEqual(schemaMethods().sort(), [...METHOD_NAMES].sort());
});
