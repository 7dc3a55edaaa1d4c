/**
 * "EC-VAE: Install GPU Backend…": installs @tensorflow/tfjs-node-gpu (CUDA) or
 * @tensorflow/tfjs-node (native CPU) with npm into the extension's global storage, where
 * the sidecar also looks for optional backends (engine core/backend.ts,
 * ECVAE_BACKEND_PATHS). The install goes to a temporary folder, is checked to load, and is
 * renamed into place only when all of that worked: a failed or cancelled install leaves
 * nothing behind, and the user is told why and what to do next. No `vscode` import here:
 * the command (extension.ts) wraps it in a cancellable progress notification.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

export type BackendVariant = 'gpu' | 'cpu';

/** The sidecar's environment variable that lists these folders (read by the engine: core/backend.ts BACKEND_PATHS_ENV). */
export const SIDECAR_BACKEND_PATHS_ENV = 'ECVAE_BACKEND_PATHS';

export const BACKEND_PACKAGES: Record<BackendVariant, string> = { gpu: '@tensorflow/tfjs-node-gpu', cpu: '@tensorflow/tfjs-node' };

/** The folder of installed backends, one subfolder (with its node_modules) per package. */
export const backendsRoot = (globalStorage: string): string => join(globalStorage, 'backends');

/** The installed backends' folders, GPU first: what the sidecar gets in ECVAE_BACKEND_PATHS. */
export function installedBackendFolders(root: string): string[] {
  return (['gpu', 'cpu'] as const).map((v) => join(root, folderName(v))).filter((d) => existsSync(join(d, 'node_modules')));
}

const folderName = (v: BackendVariant): string => BACKEND_PACKAGES[v].split('/')[1]!;

export interface InstallFailure {
  ok: false;
  reason: string;
  next: string;
  /** The tail of npm's (or the load check's) output, for the log. */
  output: string;
}
export type InstallResult = { ok: true; folder: string } | InstallFailure | { ok: false; cancelled: true };

export interface InstallRequest {
  root: string;
  variant: BackendVariant;
  /** The tfjs version the sidecar bundles: the native package must match it. */
  version: string;
  /** npm's executable (default `npm` on PATH). */
  npm?: string;
  /** Node to run the load check with (inside VS Code: Electron as Node). */
  node?: string;
  signal?: AbortSignal;
  /** Each line npm or the check prints. */
  onLine?: (line: string) => void;
}

/** Why an install failed, in the user's terms, and what to do next. */
export function explainFailure(variant: BackendVariant, output: string, spawnError?: NodeJS.ErrnoException): Omit<InstallFailure, 'ok' | 'output'> {
  const pkg = BACKEND_PACKAGES[variant];
  const other = variant === 'gpu' ? ` Or install the native CPU backend (${BACKEND_PACKAGES.cpu}) instead.` : '';
  if (spawnError?.code === 'ENOENT')
    return { reason: 'npm was not found on PATH.', next: 'Install Node.js (it includes npm), restart VS Code, and run the command again.' };
  const download = /install\.js|node-pre-gyp/.test(output) && /(ENOTFOUND|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|ECONNRESET|403|404)/.exec(output);
  if (download) {
    const host = /hostname: '([^']+)'/.exec(output)?.[1] ?? /https?:\/\/([^/\s]+)/.exec(output.slice(output.indexOf('install.js')))?.[1] ?? 'its download host';
    return {
      reason: `npm fetched ${pkg}, but its install script could not download the TensorFlow C library (libtensorflow) from ${host} (${download[1]}).`,
      next: `Allow downloads from ${host}, or point TFJS_NODE_CDN_STORAGE at a mirror that has it, then run the command again. Training meanwhile runs on WASM.${other}`,
    };
  }
  const registry = /(ENOTFOUND|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|ECONNRESET)[^\n]*registry|request to (\S+) failed/i.exec(output);
  if (registry || /network/i.test(output))
    return {
      reason: 'npm could not reach the package registry (no network, or a proxy in the way).',
      next: 'Connect to the network, or set npm\'s proxy ("npm config set proxy …"), then run the command again.',
    };
  const cuda = /(libcud[a-z]*\.so[.\d]*|libcublas[^\s:]*|libcudnn[^\s:]*)/.exec(output);
  if (cuda)
    return {
      reason: `${pkg} installed, but CUDA's ${cuda[1]} is missing: libtensorflow 2.9 needs CUDA 11.2 and cuDNN 8.1 with an NVIDIA driver.`,
      next: `Install CUDA 11.2 and cuDNN 8.1 (on the library path), then run the command again.${other}`,
    };
  const lines = output.trim().split('\n');
  return { reason: `npm install ${pkg} failed: ${lines[lines.length - 1] ?? 'no output'}`, next: `See the EC-VAE output for npm's log.${other}` };
}

/** Runs a command to its end; resolves with its exit code and output (or the spawn error), rejects never. */
function run(
  command: string,
  args: string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv; signal?: AbortSignal; onLine?: (l: string) => void },
): Promise<{ code: number | null; output: string; error?: NodeJS.ErrnoException }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      shell: process.platform === 'win32',
      // Its own process group: Cancel ends npm and the install scripts it started.
      detached: process.platform !== 'win32',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let partial = '';
    const onData = (d: Buffer): void => {
      output += String(d);
      const lines = (partial + String(d)).split('\n');
      partial = lines.pop()!;
      for (const l of lines) if (l.trim()) opts.onLine?.(l);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const kill = (): void => {
      try {
        if (child.pid) process.kill(process.platform === 'win32' ? child.pid : -child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    };
    opts.signal?.addEventListener('abort', kill, { once: true });
    child.on('error', (error: NodeJS.ErrnoException) => resolve({ code: null, output, error }));
    child.on('close', (code) => {
      opts.signal?.removeEventListener('abort', kill);
      resolve({ code, output });
    });
  });
}

/**
 * Installs the backend package into `<root>/<package>`: npm into a temporary folder, a
 * load check in a separate process, then a rename. Anything short of that removes the
 * temporary folder and leaves an earlier install as it was.
 */
export async function installBackend(req: InstallRequest): Promise<InstallResult> {
  const pkg = BACKEND_PACKAGES[req.variant];
  mkdirSync(req.root, { recursive: true });
  const tmp = mkdtempSync(join(req.root, '.install-'));
  try {
    writeFileSync(join(tmp, 'package.json'), JSON.stringify({ private: true, description: 'EC-VAE Studio: optional TF.js backend' }) + '\n');
    const args = ['install', `${pkg}@${req.version}`, '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=http'];
    const npm = await run(req.npm ?? 'npm', args, { cwd: tmp, signal: req.signal, onLine: req.onLine });
    if (req.signal?.aborted) return { ok: false, cancelled: true };
    if (npm.error || npm.code !== 0) return { ok: false, ...explainFailure(req.variant, npm.output, npm.error), output: tail(npm.output) };
    // Installed is not working: the native binding must load here (a GPU package needs CUDA's libraries).
    const main = createRequire(join(tmp, 'package.json')).resolve(pkg);
    const check = await run(req.node ?? process.execPath, ['-e', `require(${JSON.stringify(main)})`], {
      cwd: tmp,
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      signal: req.signal,
      onLine: req.onLine,
    });
    if (req.signal?.aborted) return { ok: false, cancelled: true };
    if (check.error || check.code !== 0) return { ok: false, ...explainFailure(req.variant, check.output, check.error), output: tail(check.output) };
    const folder = join(req.root, folderName(req.variant));
    const old = existsSync(folder) ? `${tmp}-previous` : undefined;
    if (old) renameSync(folder, old);
    renameSync(tmp, folder);
    if (old) rmSync(old, { recursive: true, force: true });
    return { ok: true, folder };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

const tail = (s: string): string => s.trim().split('\n').slice(-40).join('\n');

/** Leftovers of an install killed with VS Code (older than an hour: another window may be installing now), removed at start. */
export function removeStaleInstalls(root: string): void {
  if (!existsSync(root)) return;
  for (const d of readdirSync(root))
    if (d.startsWith('.install-') && Date.now() - statSync(join(root, d)).mtimeMs > 3600_000) rmSync(join(root, d), { recursive: true, force: true });
}
