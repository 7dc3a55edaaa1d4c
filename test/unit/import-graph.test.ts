/**
 * The source import graph, resolved by dependency-cruiser (type-only imports included):
 * no cycle anywhere in sidecar/, extension/ and media/, and the layer boundaries of
 * docs/architecture.md hold on the real graph, dynamic imports included (ESLint's
 * no-restricted-imports says the same in the editor, on the import text).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { cruise, type IForbiddenRuleType, type IViolation } from 'dependency-cruiser';
import { repoRoot, tempDir } from '../helpers.ts';

const PROTOCOL = '^sidecar/(protocol|protocol\\.generated|restorationTasks)\\.ts$';
/** The run folder as a file format (layout and reading), which both processes load. */
const RUN_LAYOUT = '^sidecar/runLayout/';

const rules: IForbiddenRuleType[] = [
  { name: 'no-cycle', severity: 'error', from: {}, to: { circular: true } },
  { name: 'protocol-is-a-leaf', severity: 'error', from: { path: PROTOCOL }, to: { pathNot: PROTOCOL } },
  {
    name: 'engine-below-protocol-and-app',
    severity: 'error',
    from: { path: '^sidecar/engine/' },
    to: { path: '^sidecar/(protocol(\\.generated)?\\.ts|app/|server/|cli/|language/)' },
  },
  { name: 'app-below-front-ends', severity: 'error', from: { path: '^sidecar/app/' }, to: { path: '^sidecar/(server|cli|language)/' } },
  // The run-folder layout loads in the extension host (no TF.js): node builtins, jsonc-parser, the protocol, itself.
  {
    name: 'run-layout-is-a-leaf',
    severity: 'error',
    from: { path: RUN_LAYOUT },
    to: { pathNot: `${RUN_LAYOUT}|${PROTOCOL}|^node_modules/jsonc-parser/`, dependencyTypesNot: ['core'] },
  },
  // The front ends read run folders through the layout with plain fs, so that showing runs starts no sidecar.
  {
    name: 'front-end-only-contract',
    severity: 'error',
    from: { path: '^(extension|media)/' },
    to: { path: '^sidecar/', pathNot: `${PROTOCOL}|${RUN_LAYOUT}` },
  },
];

async function violations(dirs: string[], baseDir: string): Promise<IViolation[]> {
  const result = await cruise(dirs, {
    baseDir,
    validate: true,
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    ruleSet: { forbidden: rules },
  });
  assert.equal(typeof result.output, 'object');
  const output = result.output as { summary: { violations: IViolation[]; totalCruised: number } };
  assert.ok(output.summary.totalCruised > 0, 'modules were cruised');
  return output.summary.violations;
}

const describe = (v: IViolation): string =>
  `${v.rule.name}: ${v.from} -> ${v.to}${v.cycle ? ` (${v.cycle.map((c) => (typeof c === 'string' ? c : c.name)).join(' -> ')})` : ''}`;

test('the source import graph has no cycle and keeps the layer boundaries', async () => {
  const found = await violations(['sidecar', 'extension', 'media'], repoRoot);
  assert.deepEqual(found.map(describe), []);
});

test('the check sees a cycle and a boundary crossing when there is one', async () => {
  const root = tempDir();
  mkdirSync(join(root, 'sidecar', 'engine'), { recursive: true });
  writeFileSync(join(root, 'sidecar', 'engine', 'a.ts'), "import { b } from './b.ts';\nexport const a = (): number => b() + 1;\n");
  writeFileSync(
    join(root, 'sidecar', 'engine', 'b.ts'),
    "import type { RunSummary } from '../protocol.ts';\nimport { a } from './a.ts';\nexport const b = (r?: RunSummary): number => (r ? a() : 0);\n",
  );
  writeFileSync(join(root, 'sidecar', 'protocol.ts'), 'export interface RunSummary { name: string }\n');
  mkdirSync(join(root, 'sidecar', 'runLayout'), { recursive: true });
  writeFileSync(
    join(root, 'sidecar', 'runLayout', 'runFolder.ts'),
    "import { existsSync } from 'node:fs';\nimport type { RunSummary } from '../protocol.ts';\nimport { a } from '../engine/a.ts';\nexport const r = (s?: RunSummary): number => (s && existsSync(s.name) ? a() : 0);\n",
  );
  const names = (await violations(['sidecar'], root)).map((v) => v.rule.name).sort();
  assert.deepEqual(names, ['engine-below-protocol-and-app', 'no-cycle', 'run-layout-is-a-leaf'], relative(repoRoot, root));
});
