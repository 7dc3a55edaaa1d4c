/**
 * The module boundary between the two ends: the extension and the webview script import
 * from the sidecar only its protocol module (types and the tables both ends need), never
 * the engine, so that the extension host stays free of TF.js and of run-file formats.
 * ESLint's no-restricted-imports (eslint.config.mjs) says so in the editor; the scan
 * below also covers dynamic import(), which that rule does not see.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { repoRoot } from '../helpers.ts';

function sources(dir: string): string[] {
  return readdirSync(join(repoRoot, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(dir, f));
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

test('the lint rule guards the boundary in the editor and in CI: engine imports from extension/ or media/ are errors', async () => {
  const { ESLint } = await import('eslint');
  const eslint = new ESLint({ cwd: repoRoot });
  const restricted = async (file: string, text: string): Promise<number> =>
    (await eslint.lintText(text, { filePath: join(repoRoot, file) }))[0]!.messages.filter((m) => m.ruleId === 'no-restricted-imports').length;
  assert.equal(await restricted('extension/probe.ts', "import { train } from '../../sidecar/engine/jobs/run.ts';\nvoid train;\n"), 1);
  assert.equal(await restricted('media/probe.ts', "import type { RunConfig } from '../../sidecar/engine/config/config.ts';\nexport type C = RunConfig;\n"), 1);
  assert.equal(await restricted('extension/probe.ts', "import { TASK_NAMES } from '../../sidecar/protocol.ts';\nvoid TASK_NAMES;\n"), 0);
  assert.equal(await restricted('sidecar/probe.ts', "import { train } from './engine/jobs/run.ts';\nvoid train;\n"), 0);
});

test('the protocol is declared once: protocol.generated.ts is generated from its schema (regenerate with npm run build:protocol-types)', async () => {
  const { PROTOCOL_TYPES_FILE, protocolTypes } = await import('../../scripts/protocol-types.mjs');
  assert.equal(readFileSync(join(repoRoot, PROTOCOL_TYPES_FILE), 'utf8'), await protocolTypes());
});

test('the protocol schema defines params for exactly the methods of sidecar/protocol.ts', async () => {
  const { METHOD_NAMES } = await import('../../sidecar/protocol.ts');
  const { schemaMethods } = await import('../../sidecar/params.ts');
  assert.deepEqual(schemaMethods().sort(), [...METHOD_NAMES].sort());
});

test('the restoration tasks exist once: the protocol schema, docs/restoration.md and the protocol module read the one table', async () => {
  const { RESTORATION_TASKS, TASK_NAMES } = await import('../../sidecar/protocol.ts');
  const schema = JSON.parse(readFileSync(join(repoRoot, 'schemas', 'ecvae-protocol.schema.json'), 'utf8')) as {
    definitions: { RestoreParams: { properties: { task: { enum: string[] } } } };
  };
  assert.deepEqual(schema.definitions.RestoreParams.properties.task.enum, TASK_NAMES);
  // docs/restoration.md's task table is the table's rendering (paste this when a task changes).
  const rows = TASK_NAMES.map((name) => {
    const t = RESTORATION_TASKS[name];
    return `| \`${name}\` | ${t.operator} | ${t.pinv} | ${t.input} |`;
  });
  const doc = readFileSync(join(repoRoot, 'docs', 'restoration.md'), 'utf8');
  assert.ok(
    doc.includes(['| task | A | A+ | input image |', '| --- | --- | --- | --- |', ...rows].join('\n')),
    `docs/restoration.md's task table must read:\n${rows.join('\n')}`,
  );
  // The table is pure data both ends bundle: it imports nothing, and it is protocol.ts's only runtime import beside the generated declarations.
  assert.doesNotMatch(readFileSync(join(repoRoot, 'sidecar', 'restorationTasks.ts'), 'utf8'), /^import /m);
  const protocol = readFileSync(join(repoRoot, 'sidecar', 'protocol.ts'), 'utf8');
  const runtime = [...protocol.matchAll(/^(?:import|export) (?!type )[^;]*from '([^']+)'/gm)].map((m) => m[1]);
  assert.deepEqual(runtime, ['./protocol.generated.ts', './restorationTasks.ts']);
  assert.doesNotMatch(readFileSync(join(repoRoot, 'sidecar', 'protocol.generated.ts'), 'utf8'), /^import /m);
});
