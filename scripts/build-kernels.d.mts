export const KERNELS: Record<string, string>;
export function compileKernel(name: string): Promise<Uint8Array<ArrayBuffer>>;
export function generatedSource(name: string, binary: Uint8Array): string;
