import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted at every level, so equal settings give equal text (and hashes)
 * whatever order they were written in.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value as Record<string, unknown>).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Short stable hash of a settings object (first 16 hex digits of sha256 of its canonical JSON). */
export function settingsHash(settings: unknown): string {
  return sha256Hex(canonicalJson(settings)).slice(0, 16);
}
