/** The validate-config use case: config text to located diagnostics (errors, or the warnings of a valid config). */
import { parseConfig } from '../engine/config/config.ts';
import type { ConfigValidateParams, ValidateResult } from '../protocol.ts';

export function validateConfig(p: ConfigValidateParams): ValidateResult {
  const r = parseConfig(p.text, p.baseDir);
  return r.ok ? { ok: true, diagnostics: r.warnings } : { ok: false, diagnostics: r.diagnostics };
}
