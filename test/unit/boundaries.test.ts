/**
 * The module boundaries (docs/architecture.md, "Boundaries") as ESLint's
 * no-restricted-imports states them in the editor (eslint.config.mjs), and the protocol
 * as one declaration: its schema, the generated module, the task table. The resolved
 * import graph (dynamic imports and cycles included) is checked in import-graph.test.ts.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers.ts';

test('the lint rule guards the boundary in the editor and in CI: engine imports from extension/ or media/ are errors', async () => {
  const { ESLint } = await import('eslint');
  const eslint = new ESLint({ cwd: repoRoot });
  const restricted = async (file: string, text: string): Promise<number> =>
    (await eslint.lintText(text, { filePath: join(repoRoot, file) }))[0]!.messages.filter((m) => m.ruleId === 'no-restricted-imports').length;
  assert.equal(await restricted('extension/probe.ts', "import { train } from '../../sidecar/engine/jobs/run.ts';\nvoid train;\n"), 1);
  assert.equal(await restricted('media/probe.ts', "import type { RunConfig } from '../../sidecar/engine/config/config.ts';\nexport type C = RunConfig;\n"), 1);
  assert.equal(await restricted('extension/probe.ts', "import { TASK_NAMES } from '../../sidecar/protocol.ts';\nvoid TASK_NAMES;\n"), 0);
  // Run folders are read through the layout leaf; writing them is the engine's.
  assert.equal(await restricted('extension/probe.ts', "import { listRuns } from '../sidecar/runLayout/runFolder.ts';\nvoid listRuns;\n"), 0);
  assert.equal(await restricted('extension/probe.ts', "import { writeStatus } from '../sidecar/engine/store/runWriter.ts';\nvoid writeStatus;\n"), 1);
  assert.equal(await restricted('sidecar/probe.ts', "import { train } from './engine/jobs/run.ts';\nvoid train;\n"), 0);
});

test('the lint rule keeps the layers: the protocol a leaf, the engine below the protocol and the use cases, the use cases below the front ends', async () => {
  const { ESLint } = await import('eslint');
  const eslint = new ESLint({ cwd: repoRoot });
  const restricted = async (file: string, text: string): Promise<number> =>
    (await eslint.lintText(text, { filePath: join(repoRoot, file) }))[0]!.messages.filter((m) => m.ruleId === 'no-restricted-imports').length;
  // The protocol imports only its generated declarations and the task table.
  assert.equal(await restricted('sidecar/protocol.ts', "import type { UserError } from './runLayout/errors.ts';\nexport type E = UserError;\n"), 1);
  assert.equal(await restricted('sidecar/protocol.ts', "import { readFileSync } from 'node:fs';\nvoid readFileSync;\n"), 1);
  assert.equal(await restricted('sidecar/protocol.ts', "export { TASK_NAMES } from './restorationTasks.ts';\n"), 0);
  // The run-folder layout is a TF.js-free leaf: node builtins, jsonc-parser, the protocol, its own folder.
  assert.equal(
    await restricted(
      'sidecar/runLayout/probe.ts',
      "import type { RunSummary } from '../protocol.ts';\nimport { parse } from 'jsonc-parser';\nimport { existsSync } from 'node:fs';\nimport { liveness } from './processIdentity.ts';\nvoid [parse, existsSync, liveness];\nexport type R = RunSummary;\n",
    ),
    0,
  );
  assert.equal(await restricted('sidecar/runLayout/probe.ts', "import * as tf from '../engine/core/tf.ts';\nvoid tf;\n"), 1);
  assert.equal(await restricted('sidecar/runLayout/probe.ts', "import { PNG } from 'pngjs';\nvoid PNG;\n"), 1);
  // The engine imports neither the protocol nor the use cases (nor server, cli, language).
  assert.equal(await restricted('sidecar/engine/store/probe.ts', "import type { RunSummary } from '../../protocol.ts';\nexport type R = RunSummary;\n"), 1);
  assert.equal(await restricted('sidecar/engine/store/probe.ts', "import { sample } from '../../app/sample.ts';\nvoid sample;\n"), 1);
  assert.equal(await restricted('sidecar/engine/store/probe.ts', "import { startServer } from '../../server/methods.ts';\nvoid startServer;\n"), 1);
  assert.equal(await restricted('sidecar/engine/store/probe.ts', "import * as tf from '../core/tf.ts';\nvoid tf;\n"), 0);
  // The use cases know no front end.
  assert.equal(await restricted('sidecar/app/probe.ts', "import { serveLines } from '../server/rpc.ts';\nvoid serveLines;\n"), 1);
  assert.equal(await restricted('sidecar/app/probe.ts', "import * as tf from '../engine/core/tf.ts';\nvoid tf;\n"), 0);
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
