/**
 * A test plug-in for `cntlens experiment --plugin`, so resume.test.ts can kill a run at a known
 * point instead of racing it: with CNTLENS_TEST_PAUSE_AFTER=N in the environment, the (N+1)-th
 * checkpoint load (N checkpoints finished) writes CNTLENS_TEST_PAUSED_FILE and then never returns.
 * Without the variable it changes nothing, so the same settings (plug-in included) serve the
 * interrupted run, its rerun and the uninterrupted run alike.
 */
import { writeFileSync } from 'node:fs';
import { NeoXModel } from '../../lib/model/neox.js';

const pauseAfter = process.env.CNTLENS_TEST_PAUSE_AFTER;
if (pauseAfter !== undefined) {
  const limit = Number(pauseAfter);
  const load = NeoXModel.load.bind(NeoXModel);
  let loads = 0;
  NeoXModel.load = async (dir: string): Promise<NeoXModel> => {
    loads++;
    const model = await load(dir);
    if (loads > limit) {
      writeFileSync(process.env.CNTLENS_TEST_PAUSED_FILE ?? 'paused', dir);
      // Hang here (a timer keeps the process alive) until the test kills the process group.
      await new Promise<never>(() => setInterval(() => undefined, 60_000));
    }
    return model;
  };
}
