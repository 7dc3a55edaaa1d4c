export function hostMissing(): string | undefined;
export function hostCommand(): { node: string; entry: string };
export function startCodeServer(o: {
  extensions: string;
  userData: string;
  args?: string[];
  timeoutMs?: number;
}): Promise<{ port: number; log(): string; stop(): void }>;
export function writeUserSettings(userData: string, extra?: Record<string, unknown>): void;
