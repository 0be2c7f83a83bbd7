/**
 * The training log (`train-log.csv`): one row per evaluation, columns
 * `step,loss,repeated_half_loss,best_induction_score,best_induction_head,lr`, and the phase-change
 * summary computed from it.
 *
 * - loss: mean next-token cross-entropy of the training batch of that step, with the weights of
 *   that step (before its update), natural log;
 * - repeated_half_loss, best_induction_score, best_induction_head: on the held-out induction
 *   prompts (eval.ts), head named `L{layer}H{head}`;
 * - lr: the learning rate of the update that follows the step (0 at the last step).
 */

export interface LogRow {
  step: number;
  loss: number;
  repeatedHalfLoss: number;
  bestInductionScore: number;
  bestInductionHead: string;
  lr: number;
}

export const LOG_HEADER = 'step,loss,repeated_half_loss,best_induction_score,best_induction_head,lr';

export function formatLogRow(r: LogRow): string {
  // Shortest round-trip decimals: the CSV holds exactly the float64 values computed.
  return [r.step, r.loss, r.repeatedHalfLoss, r.bestInductionScore, r.bestInductionHead, r.lr].join(',');
}

export function formatLog(rows: LogRow[]): string {
  return [LOG_HEADER, ...rows.map(formatLogRow)].join('\n') + '\n';
}

export function parseLog(text: string, file = 'train-log.csv'): LogRow[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines[0] !== LOG_HEADER) throw new Error(`${file}: unexpected header ${JSON.stringify(lines[0])}`);
  return lines.slice(1).map((line, i) => {
    const f = line.split(',');
    if (f.length !== 6) throw new Error(`${file}: line ${i + 2} has ${f.length} fields, expected 6`);
    return { step: Number(f[0]), loss: Number(f[1]), repeatedHalfLoss: Number(f[2]), bestInductionScore: Number(f[3]), bestInductionHead: f[4], lr: Number(f[5]) };
  });
}

export interface PhaseChange {
  /** Score at the first and last logged step. */
  initialScore: number;
  finalScore: number;
  /** Last logged step with score below 20 % of the final score. */
  step20: number;
  /** First logged step after step20 with score above 80 % of the final score. */
  step80: number;
  /** (step80 − step20) / total steps. */
  windowFraction: number;
  /** Repeated-half loss at the first and last logged step, and their ratio. */
  initialRepeatedLoss: number;
  finalRepeatedLoss: number;
  repeatedLossRatio: number;
}

/**
 * Summarise the rise of the best induction-head score: the window between the last time it is
 * below 20 % of its final value and the first time after that it exceeds 80 %.
 */
export function phaseChange(rows: LogRow[]): PhaseChange {
  if (rows.length < 2) throw new Error('phaseChange: need at least two logged steps');
  const first = rows[0];
  const last = rows[rows.length - 1];
  const final = last.bestInductionScore;
  let i20 = 0;
  rows.forEach((r, i) => {
    if (r.bestInductionScore < 0.2 * final) i20 = i;
  });
  let i80 = rows.length - 1;
  for (let i = i20; i < rows.length; i++) {
    if (rows[i].bestInductionScore > 0.8 * final) {
      i80 = i;
      break;
    }
  }
  const total = last.step - first.step;
  return {
    initialScore: first.bestInductionScore,
    finalScore: final,
    step20: rows[i20].step,
    step80: rows[i80].step,
    windowFraction: total > 0 ? (rows[i80].step - rows[i20].step) / total : 0,
    initialRepeatedLoss: first.repeatedHalfLoss,
    finalRepeatedLoss: last.repeatedHalfLoss,
    repeatedLossRatio: last.repeatedHalfLoss / first.repeatedHalfLoss,
  };
}
