/** The whole study as library calls (what `cntlens experiment`, `cntlens merge` and `cntlens analyze` run). */
export { analyzeInfluence, readInfluenceSeries, type AnalyzeInfluenceOptions, type AnalyzeResult, type AnalyzeSettings } from './analyze.js';
export { DEFAULT_EXPERIMENT_CONFIG, readExperimentConfig, resolveExperimentConfig, type ExperimentConfig } from './config.js';
export { mergeResults, runExperiment, taskPrompts, type CheckpointStatus, type ExperimentOptions, type ExperimentResult } from './pipeline.js';
export { graphFile, influenceFile, readRecord, recordFile, replicatesFile, type Behaviour, type CheckpointRecord, type RecordKey } from './records.js';
export { attachReplicates, computeReplicates, resampledMetrics, type BootstrapSettings } from './replicates.js';
export { analyzePhases, metricsCsv, nodesCsv, reportData, BEHAVIOUR_COLUMNS, GRAPH_COLUMNS, NODE_COLUMNS } from './series.js';
export { runSeriesStage, type SeriesSettings, type SeriesStageInput, type SeriesStageResult } from './series-stage.js';
export { parseShard, takeShard, type Shard } from './shard.js';
