/** Small dataset files generated in the datasets' own binary formats, for the loader and training tests. */

/** CIFAR records: label byte(s), then planes R, G, B of 1024 bytes; pixel p of channel ch = (7p + 50ch + 3i) mod 256. */
export function cifar(n: number, labels: number[][]): Buffer {
  const head = labels[0]!.length;
  const buf = Buffer.alloc(n * (head + 3072));
  for (let i = 0; i < n; i++) {
    const r = i * (head + 3072);
    labels[i]!.forEach((l, k) => (buf[r + k] = l));
    for (let ch = 0; ch < 3; ch++) for (let p = 0; p < 1024; p++) buf[r + head + ch * 1024 + p] = (7 * p + 50 * ch + 3 * i) % 256;
  }
  return buf;
}
