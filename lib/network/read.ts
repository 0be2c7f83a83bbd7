/**
 * File readers for the CLI and notebooks: read, validate and build, every error naming the file.
 */
import { readFileSync } from 'node:fs';
import { graphFromEdgeList } from './edge-list-graph.js';
import { graphFromInfluence } from './influence-graph.js';
import { InputError } from '../util/errors.js';
import { readJsonFile } from '../util/files.js';
import type { BuildOptions } from './build.js';
import type { ComponentGraph } from './types.js';

export function readInfluenceGraph(file: string, options: BuildOptions = {}): ComponentGraph {
  return graphFromInfluence(readJsonAllowingDiagnosis(file), options, file);
}

export function readEdgeListGraph(file: string, options: BuildOptions = {}): ComponentGraph {
  return graphFromEdgeList(readJsonAllowingDiagnosis(file), options, file);
}

/**
 * readJsonFile, plus a clearer message for the commonest cause of invalid JSON in numeric files:
 * Python's json.dump writes NaN and Infinity as bare tokens, which JSON does not allow.
 */
function readJsonAllowingDiagnosis(file: string): unknown {
  try {
    return readJsonFile(file);
  } catch (err) {
    if (err instanceof InputError && /not valid JSON/.test(err.message)) {
      const text = readFileSync(file, 'utf8');
      if (/(^|[\s,[:])-?(NaN|Infinity)\b/.test(text)) {
        throw new InputError(file, 'contains NaN or Infinity, which is not valid JSON (every weight must be a finite number)');
      }
    }
    throw err;
  }
}
