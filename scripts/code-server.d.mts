export const HOST_DIR: string;
export function hostMissing(): string | undefined;
export function hostCommand(): { node: string; entry: string };
export function freePort(): Promise<number>;
export function startCodeServer(o: {
  extensions: string;
  userData: string;
  args?: string[];
  timeoutMs?: number;
}): Promise<{ port: number; log(): string; stop(): void }>;
