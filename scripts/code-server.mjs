/**
 * Starting the code-server that scripts/install-vscode-host.sh installed (VS Code's
 * workbench and extension host, offline): shared by the extension-host test launcher
 * (scripts/vscode-test-host.mjs) and the workbench UI tests (test/e2e/).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HOST_DIR = join(fileURLToPath(new URL('..', import.meta.url)), '.tmp', 'vscode-host');

/** Undefined when code-server is installed; otherwise what to run. */
export function hostMissing() {
  return existsSync(join(HOST_DIR, 'ready')) ? undefined : 'code-server is not installed: run scripts/install-vscode-host.sh.';
}

/** The Node 24 and the code-server entry point the install recorded. */
export function hostCommand() {
  return { node: readFileSync(join(HOST_DIR, 'node-path'), 'utf8').trim(), entry: readFileSync(join(HOST_DIR, 'entry-path'), 'utf8').trim() };
}

/** A quiet workbench for tests: no start-up editor, no trust prompt, no telemetry, no update checks; `extra` adds settings. */
export function writeUserSettings(userData, extra = {}) {
  mkdirSync(join(userData, 'User'), { recursive: true });
  writeFileSync(
    join(userData, 'User', 'settings.json'),
    JSON.stringify({
      'workbench.startupEditor': 'none',
      'security.workspace.trust.enabled': false,
      'telemetry.telemetryLevel': 'off',
      'extensions.autoCheckUpdates': false,
      ...extra,
    }),
  );
}

async function freePort() {
  return new Promise((done) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => done(port));
    });
  });
}

/**
 * Starts code-server on a free local port without auth, telemetry, update checks or
 * workspace trust, with its own extensions and user-data folders, and resolves once it
 * listens. `log()` is its output so far; stop() ends its process group.
 */
export async function startCodeServer({ extensions, userData, args = [], timeoutMs = 60_000 }) {
  const { node, entry } = hostCommand();
  const port = await freePort();
  const server = spawn(
    node,
    [
      entry,
      '--auth',
      'none',
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--extensions-dir',
      extensions,
      '--user-data-dir',
      userData,
      ...args,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  let log = '';
  server.stdout.on('data', (d) => (log += String(d)));
  server.stderr.on('data', (d) => (log += String(d)));
  const stop = () => {
    try {
      process.kill(-server.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  };
  const t0 = Date.now();
  while (!/HTTP server listening/.test(log)) {
    if (server.exitCode !== null || Date.now() - t0 > timeoutMs) {
      stop();
      throw new Error(`code-server did not start:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { port, log: () => log, stop };
}
