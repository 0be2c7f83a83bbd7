/**
 * Checkpoint sources: folders of step checkpoints, the Hugging Face hub cache (`hf:org/name`), or
 * explicit lists, resolved to checkpoint folders sorted by step. See docs/hub.md.
 */
export { resolveCheckpoints, type CheckpointRef, type ResolveOptions } from './sources.js';
export {
  stepFromName,
  parseStepSelection,
  selectsStep,
  enumerateSteps,
  needsExistingSteps,
  MAX_ENUMERATED_STEPS,
  type StepSelection,
  type StepItem,
  type ParseStepOptions,
} from './steps.js';
