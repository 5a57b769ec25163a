/**
 * Which setup fields belong to which block of the composer's diagram, and their labels in the
 * paper's notation. Fields not listed under a block are edited in the "Training" section; any
 * issue on a path maps back to the block (or section) that shows it.
 */

/** Blocks of the diagram. */
export type BlockId = 'data' | 'encoder' | 'projector' | 'predictor' | 'target' | 'stopgrad' | 'loss';

/** Path prefixes owned by each block (for highlighting issues). */
export const BLOCK_PATHS: Record<BlockId, string[]> = {
  data: ['data', 'augment'],
  encoder: ['encoder'],
  projector: ['projector'],
  predictor: ['predictor', 'optim.predictorWeightDecay', 'optim.predictorLrRatio'],
  target: ['method', 'emaMomentum', 'targetInit'],
  stopgrad: ['stopGradient'],
  loss: ['loss', 'lossReduction'],
};

/**
 * Fields of the Training section under the diagram: the optimiser (α, momentum, the backbone's
 * weight decay: they act on every trained weight, not on the loss) and the schedule.
 */
export const TRAINING_FIELDS = ['optim.lr', 'optim.momentum', 'optim.weightDecay', 'seed', 'optim.batchSize', 'optim.epochs', 'optim.maxSteps', 'optim.lastBatch'];

/** Evaluation fields (a folded section). */
export const EVAL_FIELDS = ['eval.spectraEvery', 'eval.everyEpochs', 'eval.probeTrain', 'eval.probeTest', 'eval.knnK', 'eval.knnVote', 'eval.probeEpochs', 'eval.probeSelect', 'eval.statsImages'];

/** Labels in the paper's notation; other fields show their last path segment. */
export const FIELD_LABELS: Record<string, string> = {
  'predictor.rho': 'ρ — EMA rate of F̂',
  'predictor.eps': 'ε — boost of small eigenvalues',
  'predictor.freq': 'freq — steps between W_p updates',
  'predictor.freqPhase': 'W_p set at the last / first step of each freq block',
  'predictor.normalize': 'F̂ scale in W_p = F̂/c + εI',
  'predictor.bias': 'bias',
  'predictor.hidden': 'hidden size',
  emaMomentum: 'γ_a — EMA momentum',
  targetInit: 'W_a(0): copy of the online net or random',
  lossReduction: 'two symmetric terms: sum (official) or mean',
  stopGradient: 'stop-gradient on the target branch',
  'optim.lr': 'α — learning rate',
  'optim.momentum': 'SGD momentum',
  'optim.weightDecay': 'weight decay η̄ (backbone)',
  'optim.predictorWeightDecay': 'weight decay (predictor)',
  'optim.predictorLrRatio': 'α_p — predictor lr ratio',
  'optim.batchSize': 'batch size',
  'optim.epochs': 'epochs',
  'optim.maxSteps': 'max steps (cap)',
  'optim.lastBatch': 'last partial batch: drop or keep',
  seed: 'seed',
  loss: 'loss',
  'encoder.widths': 'stage widths',
  'encoder.residual': 'residual blocks',
  'projector.hidden': 'hidden width',
  'projector.out': 'output width d (F̂ is d×d)',
  'projector.bnAffine': 'BN affine (γ, β)',
  'data.dataset': 'dataset',
  'data.trainSize': 'pre-training images (cap)',
  'data.synthetic.size': 'image size',
  'data.synthetic.channels': 'channels',
  'data.synthetic.classes': 'classes',
  'data.synthetic.train': 'train images',
  'data.synthetic.test': 'test images',
  'eval.spectraEvery': 'spectra every N steps',
  'eval.everyEpochs': 'probe/kNN every K epochs (0 = end)',
  'eval.probeTrain': 'probe train images',
  'eval.probeTest': 'probe test images',
  'eval.knnK': 'kNN k',
  'eval.probeEpochs': 'probe epochs',
  'eval.knnVote': 'kNN vote (weighted exp(cos/0.07) or majority)',
  'eval.probeSelect': 'probe epoch chosen on (validation: ours; best-test: official code)',
  'eval.statsImages': 'images for effective rank / collapse std',
};

/** The label of a field. */
export function fieldLabel(path: string): string {
  return FIELD_LABELS[path] ?? path.slice(path.lastIndexOf('.') + 1);
}

/** The block showing an issue at `path`, or null when the Training/Evaluation sections show it. */
export function blockOfPath(path: string): BlockId | null {
  if (TRAINING_FIELDS.includes(path) || path.startsWith('eval') || path === 'seed') return null;
  for (const [b, prefixes] of Object.entries(BLOCK_PATHS) as [BlockId, string[]][]) {
    if (prefixes.some((p) => path === p || path.startsWith(`${p}.`) || path.startsWith(`${p}[`))) return b;
  }
  return null;
}

/** Datasets every lab knows without an import. */
export const BUILTIN_DATASETS = ['fashion-mnist-sample', 'synthetic', 'invariance', 'fashion-mnist'];
