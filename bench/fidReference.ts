/**
 * The independent FID of two feature sets: bench/fid_reference.py under Debian's
 * /usr/bin/python3 (numpy + scipy, pytorch-fid's formula), fed through .npy files.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./fid_reference.py', import.meta.url));

export interface ScipyFid {
  fid: number;
  /** Whether pytorch-fid's eps * I offset was needed (sqrtm not finite). */
  offset: boolean;
  /** The largest |imaginary part| on sqrtm's diagonal (pytorch-fid refuses above 1e-3). */
  imag_diag_max: number;
  seconds: number;
  /** The same distance through numpy's symmetric eigh instead of sqrtm. */
  fid_symmetric: number;
  /** The same distance from the samples: the nuclear norm of X_a X_b^T by numpy's SVD. */
  fid_svd: number;
  numpy: string;
  scipy: string;
}

/** Why the reference cannot run here, or undefined when it can. */
export function scipyMissing(): string | undefined {
  const r = spawnSync(PYTHON, ['-c', 'import numpy, scipy.linalg'], { encoding: 'utf8' });
  if (r.status === 0) return undefined;
  return `${PYTHON} with numpy and scipy is needed for the reference FID (apt-get install -y python3-scipy): ${r.error?.message ?? r.stderr.trim().split('\n').pop()}`;
}

/** A float32 [n, d] array as a .npy file (format 1.0, C order). */
export function writeNpy(file: string, data: Float32Array, d: number): void {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${data.length / d}, ${d}), }`;
  // Magic (6) + version (2) + length (2) + header, padded with spaces to 64 bytes, ending in \n.
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head.writeUInt8(1, 6);
  head.writeUInt8(0, 7);
  head.writeUInt16LE(header.length, 8);
  writeFileSync(file, Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
}

export function scipyFid(a: Float32Array, b: Float32Array, d: number): ScipyFid {
  const dir = mkdtempSync(join(tmpdir(), 'ecvae-fid-'));
  try {
    writeNpy(join(dir, 'a.npy'), a, d);
    writeNpy(join(dir, 'b.npy'), b, d);
    const r = spawnSync(PYTHON, [SCRIPT, join(dir, 'a.npy'), join(dir, 'b.npy')], { encoding: 'utf8', timeout: 30 * 60_000 });
    if (r.status !== 0) throw new Error(`${SCRIPT} failed: ${r.error?.message ?? r.stderr.trim()}`);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as ScipyFid;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
