/**
 * Property-based fuzzing (fast-check, fixed seeds, bounded runs) of every input a user or
 * a client controls: protocol lines, config text, image bytes and checkpoint bytes.
 * Invariants: nothing crashes or hangs, every bad input becomes a typed error with a
 * message (a JSON-RPC error, a diagnostic, an ImageError, a CheckpointError), and the
 * tensor count stays flat.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { createInterface } from 'node:readline';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import jpeg from 'jpeg-js';
import { CheckpointError, readCheckpoint, saveCheckpoint } from '../../sidecar/engine/store/checkpoint.ts';
import { parseConfig } from '../../sidecar/engine/config/config.ts';
import { decodeImage, encodePng, ImageError, MAX_PIXELS } from '../../sidecar/engine/data/images.ts';
import { buildModel } from '../../sidecar/engine/models/index.ts';
import { disposeTrainState, initTrainState } from '../../sidecar/engine/algorithm/trainer.ts';
import { startServer } from '../../sidecar/server/methods.ts';
import * as tf from '../../sidecar/engine/core/tf.ts';
import { tempDir, useBackend, withDefaults } from '../helpers.ts';

const SEED = 20261128;
const dir = tempDir();

test('protocol: random and mutated lines each get one JSON-RPC answer; the server keeps serving', async (t) => {
  await useBackend('wasm');
  const input = new PassThrough();
  const output = new PassThrough();
  startServer(input, output);
  const answers: { id?: unknown; error?: { code: number; message: string }; result?: unknown }[] = [];
  createInterface({ input: output }).on('line', (l) => answers.push(JSON.parse(l)));
  const methods = ['initialize', 'config/validate', 'runs/list', 'runs/read', 'sample', 'restore', 'train/stop', 'nope', '$/cancelRequest'];
  const valueArb = fc.oneof(
    fc.string(),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(join(dir, 'missing')),
    fc.constantFrom(-1, 0, 1.5, 1e9),
  );
  const paramsArb = fc.oneof(
    fc.dictionary(fc.constantFrom('checkpoint', 'out', 'n', 'seed', 'mcmcSteps', 'dir', 'runDir', 'text', 'baseDir', 'task', 'image', 'runId', 'x'), valueArb),
    fc.jsonValue(),
  );
  const requestArb = fc.record(
    {
      jsonrpc: fc.constantFrom('2.0', '1.0', undefined),
      id: fc.oneof(fc.integer({ min: 1, max: 1e6 }), fc.string(), fc.constant(undefined)),
      method: fc.oneof(fc.constantFrom(...methods), fc.string()),
      params: paramsArb,
    },
    { requiredKeys: [] },
  );
  const lineArb = fc.oneof(
    requestArb.map((r) => JSON.stringify(r)),
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc.string().filter((s) => !s.includes('\n')),
  );
  let sent = 0;
  await fc.assert(
    fc.asyncProperty(lineArb, async (line) => {
      const before = answers.length;
      input.write(line.replace(/\n/g, ' ') + '\n');
      sent++;
      // Each line is answered (or, a notification, not) within a short time: wait briefly for it.
      for (let i = 0; i < 50 && answers.length === before; i++) await new Promise((r) => setTimeout(r, 2));
      for (const a of answers.slice(before)) {
        assert.ok(a.error === undefined || (typeof a.error.code === 'number' && a.error.message.length > 0), JSON.stringify(a));
      }
    }),
    { seed: SEED, numRuns: 300 },
  );
  // Still serving after all of it.
  input.write(JSON.stringify({ jsonrpc: '2.0', id: 'last', method: 'initialize', params: {} }) + '\n');
  for (let i = 0; i < 500 && !answers.some((a) => a.id === 'last'); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(
    answers.some((a) => a.id === 'last' && a.result),
    `the server answers after ${sent} fuzzed lines`,
  );
  const errors = answers.filter((a) => a.error).length;
  t.diagnostic(`protocol: ${sent} lines, ${errors} error answers, ${answers.length - errors - 1} results, 0 crashes, 0 hangs`);
  input.end();
});

test('config text: mutated configs are never a crash, only diagnostics with a location', (t) => {
  let valid = 0,
    refused = 0;
  const base = JSON.stringify(
    {
      data: { kind: 'gaussians25' },
      model: { hidden: 8, energyFourier: { count: 4 } },
      training: { iterations: 10 },
      calibration: { distance: 'drift', epsilon: 0.001 },
    },
    null,
    2,
  );
  const mutation = fc.oneof(
    // Replace a value with anything JSON.
    fc.tuple(fc.constantFrom('gaussians25', '8', '10', '"drift"', '0.001', '4'), fc.jsonValue()).map(([from, to]) => base.replace(from, JSON.stringify(to))),
    // Cut or splice the text anywhere.
    fc.tuple(fc.nat(base.length), fc.nat(base.length), fc.string()).map(([a, b, s]) => base.slice(0, Math.min(a, b)) + s + base.slice(Math.max(a, b))),
  );
  fc.assert(
    fc.property(mutation, (text) => {
      const r = parseConfig(text, dir);
      if (r.ok) {
        valid++;
        return;
      }
      refused++;
      assert.ok(r.diagnostics.length > 0);
      for (const d of r.diagnostics) assert.ok(d.message.length > 0 && d.line >= 1 && d.column >= 1, JSON.stringify(d));
    }),
    { seed: SEED, numRuns: 400 },
  );
  t.diagnostic(`config: ${valid + refused} texts, ${refused} refused with located diagnostics, ${valid} valid`);
});

test('image bytes: mutated PNG and JPEG files decode within the pixel limit or fail with an ImageError', (t) => {
  let decoded = 0,
    refused = 0;
  const png = encodePng(
    new Float32Array(8 * 8).map((_, i) => Math.sin(i)),
    8,
    8,
    1,
  );
  const jpg = Buffer.from(jpeg.encode({ data: Buffer.alloc(8 * 8 * 4, 90), width: 8, height: 8 }, 80).data);
  const mutated = fc
    .tuple(fc.constantFrom(png, jpg), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), fc.option(fc.nat()))
    .map(([src, flips, cut]) => {
      const b = Buffer.from(src);
      for (const [at, v] of flips) b[at % b.length] = v;
      return cut === null ? b : b.subarray(0, cut % (b.length + 1));
    });
  fc.assert(
    fc.property(mutated, (buf) => {
      try {
        const img = decodeImage(buf, 'fuzz.png');
        assert.ok(img.width * img.height <= MAX_PIXELS && img.data.length >= img.width * img.height * 4);
        decoded++;
      } catch (err) {
        assert.ok(err instanceof ImageError, `not an ImageError: ${String(err)}`);
        refused++;
      }
    }),
    { seed: SEED, numRuns: 400 },
  );
  t.diagnostic(`images: ${decoded + refused} files, ${refused} refused with an ImageError, ${decoded} decoded within the limit`);
});

test('checkpoint bytes: flipped, cut or spliced checkpoints are refused with a CheckpointError; no tensor is left behind', async (t) => {
  let refused = 0,
    unchanged = 0;
  await useBackend('wasm');
  const cfg = withDefaults({ data: { kind: 'gaussians25' }, model: { hidden: 4, depth: 1, latentDim: 2 }, training: { batchSize: 8 } });
  const state = initTrainState(buildModel(cfg.model, [2]), cfg);
  const good = saveCheckpoint(join(dir, 'run'), state, cfg, [2], 1);
  disposeTrainState(state);
  const bytes = (await import('node:fs')).readFileSync(good);
  const file = join(dir, 'fuzz.ckpt');
  const before = tf.memory().numTensors;
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), fc.option(fc.nat()), (flips, cut) => {
      const b = Buffer.from(bytes);
      for (const [at, v] of flips) b[at % b.length] = v;
      writeFileSync(file, cut === null ? b : b.subarray(0, cut % b.length));
      try {
        readCheckpoint(file);
        // Only a mutation that changed nothing (a byte set to its own value) may read back.
        assert.ok(cut === null && b.equals(bytes), 'a changed checkpoint was accepted');
        unchanged++;
      } catch (err) {
        assert.ok(err instanceof CheckpointError, `not a CheckpointError: ${String(err)}`);
        refused++;
      }
    }),
    { seed: SEED, numRuns: 300 },
  );
  assert.equal(tf.memory().numTensors, before);
  t.diagnostic(`checkpoints: ${refused + unchanged} files, ${refused} refused with a CheckpointError, ${unchanged} unchanged by their mutation`);
});
