import { IntentError } from '../errors.js';

export function parseMirrorPercent(raw: unknown): number | undefined {
  if (raw === undefined) return undefined;
  const value = typeof raw === 'number' ? raw : Number(String(raw));
  if (!Number.isFinite(value) || value < 0 || value > 100) {
    throw new IntentError(`--percent "${String(raw)}": must be a number between 0 and 100 (decimals allowed)`);
  }
  return value;
}

