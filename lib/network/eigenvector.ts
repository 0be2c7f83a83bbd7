/**
 * Eigenvector centrality (Bonacich 1972), incoming: x_j ∝ Σ_i w(i→j) x_i, the left Perron vector of
 * the weight matrix, L2-normalised. It is unique and positive only when the graph is strongly
 * connected (Perron–Frobenius); on any other graph — every influence graph, which is a DAG —
 * the values are null with that reason (use Katz there).
 *
 * graphology-metrics' `eigenvector` is used as is: it is networkx 2.8.8's
 * `eigenvector_centrality(G, weight='weight')` step for step (power iteration on A + I from the
 * uniform vector, L2 normalisation, stop when Σ|x − x_prev| < n·tolerance, at most 100 iterations).
 */
import eigenvectorModule from 'graphology-metrics/centrality/eigenvector.js';
import { isStronglyConnected } from './connectivity.js';
import { DEFAULTS, withDefaults } from './defaults.js';
import { cjsDefault } from './interop.js';
import { libraryGraph } from './library-ids.js';
import type { ComponentGraph, MaybeNodeValues } from './types.js';

const graphologyEigenvector = cjsDefault(eigenvectorModule);

export interface EigenvectorOptions {
  maxIterations?: number;
  tolerance?: number;
}

export function eigenvector(graph: ComponentGraph, options: EigenvectorOptions = {}): MaybeNodeValues {
  const settings = withDefaults(DEFAULTS.eigenvector, options);
  if (!isStronglyConnected(graph)) {
    return {
      values: null,
      reason: 'eigenvector centrality is defined only on a strongly connected graph and this one is not' +
        (graph.order === 0 ? ' (it is empty)' : ' (see katz instead)'),
    };
  }
  try {
    const lib = libraryGraph(graph);
    const values = graphologyEigenvector(lib.graph, {
      getEdgeWeight: 'weight',
      maxIterations: settings.maxIterations,
      tolerance: settings.tolerance,
    });
    return { values: lib.nodeValues(values), reason: null };
  } catch (err) {
    // graphology throws a plain Error when the power iteration runs out of iterations.
    if (!/failed to converge/.test((err as Error).message)) throw err;
    return { values: null, reason: `eigenvector power iteration did not converge in ${settings.maxIterations} iterations` };
  }
}
