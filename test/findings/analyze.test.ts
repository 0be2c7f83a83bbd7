/**
 * The findings through `cntlens analyze`, on synthetic influence files with a planted truth (the
 * many-seed rates are checked through the library in findings.test.ts; this is the same code
 * path end to end: files → records → phases → findings → phases.json and the report).
 */
import { expect } from 'chai';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FindingsResult } from '../../lib/findings/findings.js';
import { tempDir } from '../experiment/helpers.js';
import { runCli } from '../experiment/helpers-resume.js';
import { plantedRoles, pythiaNodes, syntheticSeries, type SyntheticSeries } from './synthetic.js';

/** One influence file per checkpoint, as `cntlens influence --per-prompt` writes them (no behaviour: not induction prompts). */
function writeInfluenceFiles(dir: string, series: SyntheticSeries): void {
  mkdirSync(dir, { recursive: true });
  const prompts = series.perPromptEdges[0].flat().find((v) => v !== null)!.length;
  const components = series.nodes.filter((id) => id !== 'LOGITS');
  series.steps.forEach((step, t) => {
    const json = {
      nodes: series.nodes,
      matrix: series.matrices[t],
      delta_loss: Object.fromEntries(components.map((id) => [id, 0.01])),
      clean_loss: 3,
      behaviour: null,
      settings: { step, checkpoint: `step${step}`, ablation: 'zero', measure: 'cosine', parallel_residual: true },
      per_prompt: {
        edges: series.perPromptEdges[t],
        delta_loss: Object.fromEntries(components.map((id) => [id, new Array<number>(prompts).fill(0.01)])),
        clean_loss: new Array<number>(prompts).fill(3),
      },
    };
    writeFileSync(path.join(dir, `step${step}.json`), JSON.stringify(json) + '\n');
  });
}

describe('findings through cntlens analyze (planted truth)', function () {
  this.timeout(600_000);
  let tmp: ReturnType<typeof tempDir>;
  before(() => { tmp = tempDir('findings-analyze'); });
  after(() => tmp.cleanup());

  const settings = { findings: { resamples: 100, nullDraws: 100, junctureDraws: 2000, tailDraws: 50 }, phases: { bootstrap: { replicates: 20, seed: 0 } }, report: { figures: false } };

  async function analyze(name: string, series: SyntheticSeries): Promise<{ findings: FindingsResult; html: string; nodesCsv: string }> {
    const dir = path.join(tmp.dir, name);
    writeInfluenceFiles(dir, series);
    const config = path.join(tmp.dir, `${name}.json`);
    writeFileSync(config, JSON.stringify(settings));
    const out = path.join(tmp.dir, `${name}-results`);
    const run = await runCli(['analyze', '--influence', dir, '--out', out, '--config', config, '--quiet']);
    expect(run.code, run.stderr).to.equal(0);
    const phases = JSON.parse(readFileSync(path.join(out, 'phases.json'), 'utf8')) as { findings: FindingsResult };
    return { findings: phases.findings, html: readFileSync(path.join(out, 'report.html'), 'utf8'), nodesCsv: readFileSync(path.join(out, 'nodes.csv'), 'utf8') };
  }

  it('pure structure: spreaders and gatherers are "not beyond structure", with intervals, and the report says so first', async () => {
    const { findings, html } = await analyze('structure', syntheticSeries({ checkpoints: 30, seed: 501 }));
    expect(findings.spreaderStability.verdict, findings.spreaderStability.sentence).to.equal('not beyond structure');
    expect(findings.gathererStability.verdict, findings.gathererStability.sentence).to.equal('not beyond structure');
    expect(findings.spreaderStability.interval).to.have.length(2);
    expect(findings.settings.resamplesUsed).to.equal(100);
    expect(html.indexOf('Findings')).to.be.below(html.indexOf('Summary'));
    expect(html).to.include('not beyond structure');
  });

  it('a planted stable spreader hierarchy, gatherers reshuffled every 3 checkpoints: spreaders supported, gatherers not, the difference excludes 0', async () => {
    const weight = plantedRoles(0);
    const { findings, nodesCsv } = await analyze('planted', syntheticSeries({ checkpoints: 30, seed: 900, weight }));
    expect(findings.spreaderStability.verdict, findings.spreaderStability.sentence).to.equal('supported');
    expect(findings.gathererStability.verdict, findings.gathererStability.sentence).to.not.equal('supported');
    expect(findings.stabilityDifference.interval![0], findings.stabilityDifference.sentence).to.be.above(0);
    // The roles beyond structure lead with the planted strongest spreader of the heads (the MLPs'
    // strengths are fixed under the block null), and nodes.csv carries the z-scores.
    const heads = pythiaNodes().map((id, i) => ({ id, i })).filter(({ id }) => /H/.test(id));
    const strongest = heads.reduce((a, b) => (weight(b.i, 30, 0) > weight(a.i, 30, 0) ? b : a));
    expect(findings.details.beyondStructure.spreaders[0].id).to.equal(strongest.id);
    const [header, ...rows] = nodesCsv.trim().split('\n').map((line) => line.split(','));
    for (const column of ['in_strength_z', 'out_strength_z', 'pagerank_z', 'hub_z', 'authority_z', 'in_strength_per_edge', 'out_strength_per_edge']) expect(header).to.include(column);
    const last = rows.filter((r) => r[0] === '29000' && r[1] === strongest.id)[0];
    expect(Number(last[header.indexOf('out_strength_z')])).to.be.above(3);
    for (const f of [findings.spreaderStability, findings.gathererStability, findings.stabilityDifference, findings.reconfiguration, findings.longTail]) {
      expect(f.sentence).to.be.a('string').and.not.equal('');
      expect(['supported', 'not supported', 'not beyond structure', 'undetermined']).to.include(f.verdict);
    }
  });
});
