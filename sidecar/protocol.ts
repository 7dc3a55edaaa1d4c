/**
 * The sidecar protocol: JSON-RPC 2.0 over stdio, one JSON message per line. A leaf: the
 * data types, method and notification names come from schemas/ecvae-protocol.schema.json
 * (generated into protocol.generated.ts), and the only other import is the restoration
 * task table, which imports nothing. The extension, the webviews and the sidecar's
 * use-case layer (sidecar/app/) import it; it imports nothing from the engine.
 */
import type { Notifications } from './protocol.generated.ts';

export * from './protocol.generated.ts';
// The restoration tasks both ends list and the mask presets both draw (pure; the engine gives each task its behaviour).
export { presetMaskBits, RESTORATION_TASKS, TASK_NAMES, type MaskPreset, type Task, type TaskInfo, type TaskParams } from './restorationTasks.ts';

export const PROTOCOL_VERSION = 1;

/** JSON-RPC error codes beyond the standard ones (-32700..-32600). */
export const ErrorCode = {
  InvalidParams: -32602,
  RunNotFound: -32001,
  InvalidConfig: -32002,
  Busy: -32003,
  Failed: -32004,
  /** As in the Language Server Protocol. */
  RequestCancelled: -32800,
} as const;

export type NotificationName = keyof Notifications;
