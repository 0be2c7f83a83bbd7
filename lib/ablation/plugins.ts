/**
 * Loading ablation types defined outside lib (`cntlens influence --plugin FILE`). A plug-in is an
 * ES module (.js, .mjs or .ts; see importPluginModule for TypeScript) that either
 * calls `registerAblation(...)` itself when imported, or exports Ablation objects (default
 * export, `ablation`, or an `ablations` array) which are registered here. After loading, the new
 * type is available by name like a built-in.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { InputError } from '../util/errors.js';
import { ablationNames, getAblation, isAblation, registerAblation, type Ablation } from './registry.js';

/** Plug-in files loaded so far, by the ablation names they added (worker threads reload them). */
const ORIGINS_KEY = Symbol.for('cntlens.ablation.pluginOrigins');
const pluginOrigins: Map<string, string> = ((globalThis as Record<symbol, unknown>)[ORIGINS_KEY] ??= new Map<string, string>()) as Map<string, string>;

/** The plug-in file that registered `name`, if one did. */
export function pluginFileOf(name: string): string | undefined {
  return pluginOrigins.get(name);
}

/**
 * Import a plug-in module and register what it exports; returns the names it added. A module
 * that adds no ablation is an error unless `requireAblation` is false (the experiment's plug-ins
 * may do other things, such as registering a task hook).
 */
export async function loadAblationPlugin(file: string, options: { requireAblation?: boolean } = {}): Promise<string[]> {
  const resolved = path.resolve(file);
  if (!existsSync(resolved)) throw new InputError(file, 'no such plug-in file');
  const before = new Set(ablationNames());
  let mod: Record<string, unknown>;
  try {
    mod = await importPluginModule(resolved);
  } catch (err) {
    throw new InputError(file, `could not load the plug-in: ${(err as Error)?.message ?? String(err)}`);
  }
  const exported: unknown[] = [mod.default, mod.ablation, ...(Array.isArray(mod.ablations) ? mod.ablations : [])];
  for (const candidate of exported) {
    if (candidate === undefined) continue;
    if (!isAblation(candidate)) continue;
    const current = ablationNames().includes(candidate.name) ? getAblation(candidate.name) : null;
    if (current === candidate) continue; // it registered itself
    if (current && !before.has(candidate.name)) continue;
    if (current) throw new InputError(file, `exports an ablation named "${candidate.name}", which is already registered`);
    try {
      registerAblation(candidate as Ablation);
    } catch (err) {
      throw new InputError(file, (err as Error).message);
    }
  }
  const added = ablationNames().filter((n) => !before.has(n));
  if (added.length === 0 && options.requireAblation !== false) {
    throw new InputError(file, 'registered no ablation (call registerAblation(...) in the module, or export an Ablation as default, `ablation` or `ablations`)');
  }
  for (const name of added) pluginOrigins.set(name, resolved);
  return added;
}

const TYPESCRIPT = /\.[cm]?ts$/;

/**
 * Import a plug-in file. A TypeScript plug-in runs as is where Node.js strips types itself
 * (22.18 and later) or where tsx is loaded (development, `node --import tsx`); elsewhere (Node.js
 * 20 running the published JavaScript) tsx is registered here if it is installed, and the error
 * says what to do if it is not.
 */
async function importPluginModule(file: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(file).href;
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (err) {
    if (!TYPESCRIPT.test(file) || (err as NodeJS.ErrnoException)?.code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw err;
  }
  await registerTsx();
  // A fresh URL: the failed import of the bare one stays cached as failed.
  return (await import(`${url}?tsx`)) as Record<string, unknown>;
}

let tsxRegistered = false;

async function registerTsx(): Promise<void> {
  if (tsxRegistered) return;
  let api: { register: () => unknown };
  try {
    api = (await import('tsx/esm/api' as string)) as { register: () => unknown };
  } catch {
    throw new Error(`this Node.js (${process.version}) does not run TypeScript and tsx is not installed: use Node.js 22.18 or later, \`npm install tsx\`, or compile the plug-in to JavaScript`);
  }
  api.register();
  tsxRegistered = true;
}
