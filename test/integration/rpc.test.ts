/**
 * The sidecar's JSON-RPC 2.0 transport as the spec says (section 6, batches): an array of
 * requests gets an array of responses (any order, one per request with an id), a batch of
 * notifications gets nothing, `[]` and a batch's non-request members get -32600 with id
 * null, and ids come back exactly as sent. Also: `$/cancelRequest` aborts by id, and a
 * method's progress notification carries the request's token.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { createInterface } from 'node:readline';
import { JSONRPCErrorException } from 'json-rpc-2.0';
import { startServer } from '../../sidecar/server/methods.ts';
import { serveLines } from '../../sidecar/server/rpc.ts';
import { tempDir } from '../helpers.ts';

type Answer = { jsonrpc: string; id: unknown; result?: unknown; error?: { code: number; message: string } };

/** A server on in-memory streams; `next()` is the next line it writes, parsed. */
function connect(serve: (input: PassThrough, output: PassThrough) => void) {
  const input = new PassThrough();
  const output = new PassThrough();
  serve(input, output);
  const queue: unknown[] = [];
  const waiters: ((v: unknown) => void)[] = [];
  createInterface({ input: output }).on('line', (l) => {
    const v = JSON.parse(l) as unknown;
    const w = waiters.shift();
    if (w) w(v);
    else queue.push(v);
  });
  return {
    send: (v: unknown) => input.write((typeof v === 'string' ? v : JSON.stringify(v)) + '\n'),
    next: (): Promise<unknown> => (queue.length ? Promise.resolve(queue.shift()) : new Promise((r) => waiters.push(r))),
    close: () => input.end(),
  };
}

const dir = tempDir();
const validate = (id?: unknown) => ({ jsonrpc: '2.0', ...(id === undefined ? {} : { id }), method: 'config/validate', params: { text: '{}', baseDir: dir } });

test('batches: an array of responses; notifications get nothing; [] and non-requests get -32600 with id null', async () => {
  const c = connect((i, o) => startServer(i, o, () => undefined));
  try {
    // [] is one invalid request: one error object, not an array.
    c.send('[]');
    assert.deepEqual(await c.next(), { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid request: an empty batch.' } });

    // A batch of one request is still answered with an array.
    c.send([validate(1)]);
    const one = (await c.next()) as Answer[];
    assert.ok(Array.isArray(one), 'an array, even for one response');
    assert.equal(one.length, 1);
    assert.equal(one[0]!.id, 1);
    assert.equal((one[0]!.result as { ok: boolean }).ok, false, 'an empty config misses required fields');

    // A batch of notifications only: nothing comes back (the next line is the answer to a later request).
    c.send([validate(), { jsonrpc: '2.0', method: '$/cancelRequest', params: { id: 12345 } }, { jsonrpc: '2.0', method: 'no/such' }]);
    c.send(validate('after'));
    assert.equal(((await c.next()) as Answer).id, 'after');

    // A mixed batch: one response per member with an id, and one per member that is not a request.
    c.send([validate('a'), validate(), 1, { jsonrpc: '2.0', id: 'm', method: 'no/such' }, { jsonrpc: '1.0', id: 'old', method: 'x' }, validate(2)]);
    const mixed = (await c.next()) as Answer[];
    assert.ok(Array.isArray(mixed));
    const byId = (id: unknown) => mixed.filter((a) => a.id === id);
    assert.equal(mixed.length, 5, JSON.stringify(mixed));
    assert.ok(byId('a')[0]!.result && byId(2)[0]!.result);
    assert.equal(byId('m')[0]!.error!.code, -32601);
    assert.equal(byId(null)[0]!.error!.code, -32600, 'the bare 1');
    assert.equal(byId('old')[0]!.error!.code, -32600);
  } finally {
    c.close();
  }
});

test('ids come back exactly as sent (strings, zero, negatives, fractions, the largest safe integer)', async () => {
  const c = connect((i, o) => startServer(i, o, () => undefined));
  try {
    const ids = ['007', '', 0, -3, 1.5, Number.MAX_SAFE_INTEGER, 'ünïcode'];
    c.send(ids.map((id) => validate(id)));
    const answers = (await c.next()) as Answer[];
    assert.deepEqual(answers.map((a) => a.id).sort(), [...ids].sort());
    // A raw line with an id that JSON.parse keeps exactly.
    c.send('{"jsonrpc":"2.0","id":9007199254740991,"method":"no/such"}');
    assert.equal(((await c.next()) as Answer).id, 9007199254740991);
  } finally {
    c.close();
  }
});

test('$/cancelRequest aborts the request with that id; progress goes out with the request token', async () => {
  const c = connect((input, output) => {
    const { rpc } = serveLines(input, output, () => undefined);
    rpc.addMethod('restore', async (_params, ctx) => {
      ctx.progress?.({ step: 1, steps: 2, image: '' });
      await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
      throw new JSONRPCErrorException('cancelled', -32800);
    });
  });
  try {
    c.send({ jsonrpc: '2.0', id: 'r1', method: 'restore', params: { progressToken: 'tok' } });
    assert.deepEqual(await c.next(), { jsonrpc: '2.0', method: 'restore/progress', params: { step: 1, steps: 2, image: '', token: 'tok' } });
    c.send({ jsonrpc: '2.0', method: '$/cancelRequest', params: { id: 'r2' } }); // another id: no effect
    c.send({ jsonrpc: '2.0', method: '$/cancelRequest', params: { id: 'r1' } });
    const answer = (await c.next()) as Answer;
    assert.equal(answer.id, 'r1');
    assert.equal(answer.error!.code, -32800);
  } finally {
    c.close();
  }
});
