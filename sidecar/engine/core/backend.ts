/**
 * Backend selection, in one place. 'auto' tries the fastest first and falls through:
 *   tensorflow-gpu (@tensorflow/tfjs-node-gpu, CUDA) -> tensorflow (@tensorflow/tfjs-node)
 *   -> webgpu (@tensorflow/tfjs-backend-webgpu on Dawn's `webgpu` package) -> wasm -> cpu.
 * The native packages are optional dependencies whose install downloads a binary; where
 * that is impossible they are simply absent, and selection records why and moves on.
 * Besides our own node_modules, the optional packages are looked up in the folders of
 * ECVAE_BACKEND_PATHS: the VS Code extension installs them into its global storage
 * ("EC-VAE: Install GPU Backend…") and passes those folders to the sidecar.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from './tf.ts';
import { kernelVariant, registerSharingIdentity, type KernelVariant } from '../ops/wasmKernels.ts';
import type { BackendName } from '../config/config.ts';
import { UserError } from '../../runLayout/errors.ts';

export interface BackendAttempt {
  name: BackendName;
  ok: boolean;
  detail: string;
}

export interface BackendReport {
  backend: BackendName;
  requested: 'auto' | BackendName;
  reason: string;
  attempts: BackendAttempt[];
  tfjsVersion: string;
  threads?: number;
  simd?: boolean;
  /** Which build of our WASM kernels (Winograd, ops/wasmKernels.ts) runs: relaxed SIMD (FMA) or plain SIMD. */
  kernels?: KernelVariant;
}

export const BACKEND_ORDER: BackendName[] = ['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu'];

/**
 * Folders (joined by the platform's path delimiter) each holding a node_modules with
 * optional backend packages. The extension sets it for the sidecar (extension/backendInstall.ts).
 */
export const BACKEND_PATHS_ENV = 'ECVAE_BACKEND_PATHS';

const notFound = (err: unknown): boolean => ['ERR_MODULE_NOT_FOUND', 'MODULE_NOT_FOUND'].includes((err as NodeJS.ErrnoException)?.code ?? '');

/**
 * Imports an optional package by a name TypeScript does not resolve at build time: from
 * our own node_modules, else from the first ECVAE_BACKEND_PATHS folder that has it.
 * Resolves with the module and the folder it came from (undefined: our own).
 */
async function importOptional(name: string): Promise<{ mod: Record<string, unknown>; from?: string }> {
  try {
    return { mod: (await import(name)) as Record<string, unknown> };
  } catch (err) {
    if (!notFound(err)) throw err;
    for (const dir of (process.env[BACKEND_PATHS_ENV] ?? '').split(delimiter).filter(Boolean)) {
      let file: string;
      try {
        file = createRequire(join(dir, 'package.json')).resolve(name);
      } catch {
        continue;
      }
      return { mod: (await import(pathToFileURL(file).href)) as Record<string, unknown>, from: dir };
    }
    throw err;
  }
}

const fromWhere = (from: string | undefined): string => (from ? ` from ${from}` : '');

function short(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (notFound(e)) return 'package not installed (optional dependency)';
  return String(e?.message ?? err)
    .split('\n')[0]!
    .slice(0, 300);
}

/**
 * Runs `start`, then removes the process-wide 'uncaughtException'/'unhandledRejection'
 * handlers that the Emscripten runtime of the WASM backend installs: they rethrow from
 * inside its minified one-line bundle, so any later crash would print ~30 KB of its
 * source instead of our error.
 */
export async function withoutEmscriptenHandlers<T>(start: () => Promise<T>): Promise<T> {
  const exceptions = new Set(process.listeners('uncaughtException'));
  const rejections = new Set(process.listeners('unhandledRejection'));
  try {
    return await start();
  } finally {
    for (const l of process.listeners('uncaughtException')) if (!exceptions.has(l)) process.removeListener('uncaughtException', l);
    for (const l of process.listeners('unhandledRejection')) if (!rejections.has(l)) process.removeListener('unhandledRejection', l);
  }
}

async function activate(tfName: string): Promise<void> {
  await withoutEmscriptenHandlers(async () => {
    if (!(await tf.setBackend(tfName))) throw new Error(`tf.setBackend('${tfName}') failed`);
    await tf.ready();
  });
}

const loaders: Record<BackendName, () => Promise<string>> = {
  'tensorflow-gpu': async () => {
    const { from } = await importOptional('@tensorflow/tfjs-node-gpu');
    await activate('tensorflow');
    return `CUDA through libtensorflow (tfjs-node-gpu${fromWhere(from)})`;
  },
  tensorflow: async () => {
    const { from } = await importOptional('@tensorflow/tfjs-node');
    await activate('tensorflow');
    return `native libtensorflow on the CPU (tfjs-node${fromWhere(from)})`;
  },
  webgpu: async () => {
    const { mod: dawn } = await importOptional('webgpu');
    const create = dawn.create as ((opts: string[]) => unknown) | undefined;
    if (!create) throw new Error('the webgpu package has no create()');
    const gpu = create([]) as { requestAdapter(): Promise<unknown> };
    if (!(await gpu.requestAdapter())) throw new Error('no WebGPU adapter (no Vulkan/Metal/D3D12 GPU found)');
    Object.assign(globalThis, dawn.globals as object);
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true });
    await importOptional('@tensorflow/tfjs-backend-webgpu');
    await activate('webgpu');
    return 'WebGPU through Dawn';
  },
  wasm: async () => {
    await import('@tensorflow/tfjs-backend-wasm');
    registerSharingIdentity();
    await activate('wasm');
    return 'WebAssembly (XNNPACK) on the CPU';
  },
  cpu: async () => {
    await import('@tensorflow/tfjs-backend-cpu');
    await activate('cpu');
    return 'pure JavaScript on the CPU (slowest)';
  },
};

/**
 * On Linux, Dawn (the `webgpu` package) reaches the GPU through the Vulkan loader; without
 * it, loading Dawn prints a multi-line warning from native code that no JS can silence. So
 * 'auto' skips WebGPU where no libvulkan.so.1 is on the usual library paths, and only a
 * forced "webgpu" loads Dawn regardless.
 */
function vulkanLoaderMissing(): boolean {
  if (process.platform !== 'linux') return false;
  const dirs = [
    ...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean),
    `/usr/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`,
    `/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`,
    '/usr/lib64',
    '/lib64',
    '/usr/lib',
    '/lib',
    '/usr/local/lib',
  ];
  return !dirs.some((d) => existsSync(join(d, 'libvulkan.so.1')));
}

let current: BackendReport | undefined;
let queue: Promise<unknown> = Promise.resolve();

/**
 * Selects and activates a backend. A named backend is forced: if it cannot start the
 * result is an error that says why. Idempotent for the same request. Calls are
 * serialised: two overlapping selections (the sidecar's `initialize` while a run
 * starts) would otherwise both start WASM, and the loser fall through to pure JS.
 */
export function selectBackend(requested: 'auto' | BackendName = 'auto'): Promise<BackendReport> {
  const next = queue.then(() => select(requested));
  queue = next.catch(() => undefined);
  return next;
}

async function select(requested: 'auto' | BackendName): Promise<BackendReport> {
  if (current && current.requested === requested) return current;
  const order = requested === 'auto' ? BACKEND_ORDER : [requested];
  const attempts: BackendAttempt[] = [];
  for (const name of order) {
    if (requested === 'auto' && name === 'webgpu' && vulkanLoaderMissing()) {
      attempts.push({ name, ok: false, detail: 'no Vulkan loader (libvulkan.so.1) found, so no WebGPU adapter; force "webgpu" to try anyway' });
      continue;
    }
    try {
      const detail = await loaders[name]();
      attempts.push({ name, ok: true, detail });
      const report: BackendReport = {
        backend: name,
        requested,
        attempts,
        tfjsVersion: tf.version_core,
        reason: requested === 'auto' ? `first that worked of ${BACKEND_ORDER.join(' > ')}: ${detail}` : `forced by config/flag: ${detail}`,
      };
      if (name === 'wasm') {
        const wasm = await import('@tensorflow/tfjs-backend-wasm');
        report.threads = wasm.getThreadsCount();
        report.simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) as boolean;
        report.kernels = kernelVariant();
      }
      current = report;
      return report;
    } catch (err) {
      attempts.push({ name, ok: false, detail: short(err) });
    }
  }
  const why = attempts.map((a) => `${a.name}: ${a.detail}`).join('; ');
  // A backend the user asked for by name is theirs to change; none starting at all is a failure of this machine.
  if (requested === 'auto') throw new Error(`No TF.js backend could start (${why}).`);
  throw new UserError('request', `Backend "${requested}" is not available here: ${why}. Use "backend": "auto" to fall back automatically.`);
}

/** Human-readable report of a selection: the chosen backend, then each attempt and why it failed. */
export function describeBackend(r: BackendReport): string {
  const lines = [
    `backend: ${r.backend} (${r.reason})`,
    `tfjs-core ${r.tfjsVersion}` + (r.threads ? `, wasm threads ${r.threads}, simd ${r.simd}, our kernels ${r.kernels} SIMD` : ''),
  ];
  for (const a of r.attempts) lines.push(`  ${a.ok ? 'ok  ' : 'fail'} ${a.name}: ${a.detail}`);
  const untried = BACKEND_ORDER.filter((b) => !r.attempts.some((a) => a.name === b));
  if (untried.length) lines.push(`  not tried (a faster one was chosen first or a backend was forced): ${untried.join(', ')}`);
  return lines.join('\n');
}
