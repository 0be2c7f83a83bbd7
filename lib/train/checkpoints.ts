/**
 * Writing training checkpoints as ordinary Hugging Face folders, `step{N}/` with `config.json`
 * (architectures ["GPTNeoXForCausalLM"]) and `model.safetensors` (F32 or F16), so the same loader
 * reads them as Pythia's. A checkpoint is written into a temporary sibling folder and renamed into
 * place only when complete, so a crash never leaves half a checkpoint under its final name.
 *
 * The files hold nothing time- or machine-dependent: the same weights give the same bytes.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { configToHF } from '../model/config.js';
import { ensureFolderSync } from '../util/files.js';
import { serializeSafetensors } from '../model/safetensors.js';
import type { NeoXConfig, StateDict } from '../model/types.js';

export function checkpointName(step: number): string {
  return `step${step}`;
}

/** Write `root/step{N}/` atomically; an existing folder of that name is replaced. Returns its path. */
export async function writeCheckpoint(root: string, step: number, config: NeoXConfig, stateDict: StateDict, dtype: 'F32' | 'F16'): Promise<string> {
  const finalDir = path.join(root, checkpointName(step));
  const tmpDir = path.join(root, `.${checkpointName(step)}.tmp-${process.pid}`);
  await fs.rm(tmpDir, { recursive: true, force: true });
  ensureFolderSync(tmpDir);
  const hf = configToHF(config, { torch_dtype: dtype === 'F16' ? 'float16' : 'float32' });
  await writeSynced(path.join(tmpDir, 'config.json'), JSON.stringify(hf, null, 2) + '\n');
  await writeSynced(path.join(tmpDir, 'model.safetensors'), serializeSafetensors(stateDict, dtype));
  // rename() cannot replace a non-empty folder: move the old one aside first (a crashed run's copy).
  const old = path.join(root, `.${checkpointName(step)}.old-${process.pid}`);
  let hadOld = false;
  try {
    await fs.rename(finalDir, old);
    hadOld = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await fs.rename(tmpDir, finalDir);
  if (hadOld) await fs.rm(old, { recursive: true, force: true });
  return finalDir;
}

async function writeSynced(file: string, data: string | Uint8Array): Promise<void> {
  const handle = await fs.open(file, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Remove temporary folders a crashed run left behind in `root`. */
export async function removeStaleTemporaries(root: string): Promise<void> {
  let names: string[];
  try {
    names = await fs.readdir(root);
  } catch {
    return;
  }
  for (const name of names) {
    if (/^\.step\d+\.(tmp|old)-\d+$/.test(name)) await fs.rm(path.join(root, name), { recursive: true, force: true });
  }
}
