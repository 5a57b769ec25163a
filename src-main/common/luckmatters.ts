/**
 * A setup (or sweep) as Hydra overrides of the official code, facebookresearch/luckmatters
 * `ssl/real-dataset/main.py`, so an ablation composed in the lab runs at full scale unchanged. Option
 * names and defaults are those of its `config/byol_config.yaml`; the mapping of paper settings to
 * options follows the paper's Appendix and the code (DirectPred: `predictor_reg=corr
 * balance_type=boost_scale`; DirectCopy: `balance_type=direct dyn_convert=1`; no predictor: one held
 * at I). Every emitted key is one of `luckmatters-official.json` (the official config's keys and the
 * values its code accepts, with the commit they were read from), which the tests hold it to. Browser-safe.
 */
import type { Setup } from './setup.ts';
import { canonicalJson } from './setup.ts';
import type { SweepMember } from './sweep.ts';

/** One Hydra override `key=value`. */
export type Override = [key: string, value: string];

/** A setup field the official code has no option for: it keeps the official default there. */
export interface Unmapped {
  path: string;
  value: unknown;
  why: string;
}

/** Overrides for one setup, with the fields left behind and the values translated on the way. */
export interface LuckmattersSetup {
  overrides: Override[];
  unmapped: Unmapped[];
  /** Values that change on the way (loss scale), each saying why. */
  translated: string[];
}

/**
 * Our loss per the official one's, by the setup's `lossReduction`: 'sum' adds the two symmetric
 * terms ℓ(p₁,t₂) + ℓ(p₂,t₁) as the official code does (1: same gradients), 'mean' averages them
 * (½: half the gradient, so the same SGD-with-decay dynamics need lr_official = lr/2 and
 * weight_decay_official = 2·weight_decay). Setups of version 1 were trained with 'mean'.
 */
export const OUR_LOSS_PER_OFFICIAL: Readonly<Record<Setup['lossReduction'], number>> = { sum: 1, mean: 0.5 };

function num(v: number): string {
  return String(Number(v.toPrecision(12)));
}

/** Why a setup without a predictor exports as one held at the identity. */
export const NO_PREDICTOR_WHY =
  'predictor "none" runs as a bias-free linear predictor held at W_p = I: the official code cannot train without a predictor (trainer.has_predictor=false leaves predictor_optimizer unbound in main.py, and byol_trainer.py reads the predictor\'s layers); predictor_reg=onehalfeig with predictor_eig=0, predictor_eps=1 sets W_p = I before the first step (init_rand_pred=true), the predictor\'s SGD has lr 0 and weight decay 0 so no step moves it, and predictor_freq=0 leaves only the symmetrisation, which keeps I';

function phaseWhy(phase: string): Unmapped {
  return { path: 'predictor.freqPhase', value: phase, why: 'the official code sets W_p after steps 0, freq, 2·freq, … (niter % predictor_freq == 0; predictor.freqPhase "first")' };
}

/** Translates one validated setup into the official code's overrides. */
export function luckmattersSetup(s: Setup): LuckmattersSetup {
  const o: Override[] = [];
  const unmapped: Unmapped[] = [];
  const translated: string[] = [];
  const set = (k: string, v: string | number | boolean | null) => o.push([k, v === null ? 'null' : typeof v === 'number' ? num(v) : String(v)]);

  set('seed', s.seed);
  set('method', 'byol');
  if (s.method === 'simsiam') {
    // m = 0 copies the online weights into the target every step: SimSiam's target, still detached.
    set('trainer.m', 0);
  } else set('trainer.m', s.emaMomentum);
  if (!s.stopGradient) unmapped.push({ path: 'stopGradient', value: false, why: 'the official code always detaches the target branch' });

  // Predictor: DirectPred and DirectCopy are a bias-free linear layer set from F̂.
  const linear = () => {
    set('network.predictor_head.mlp_hidden_size', null);
    set('trainer.predictor_params.normalization', 'no_normalization');
  };
  const p = s.predictor;
  switch (p.kind) {
    case 'none':
      // The official code cannot train without a predictor (main.py binds predictor_optimizer only
      // when one exists, byol_trainer.py reads its layers), so it keeps one held at exactly I:
      // onehalfeig writes W_p = predictor_eig·(…) + predictor_eps·I = I once before the first step
      // (init_rand_pred), and a predictor SGD with lr 0 never moves it. Resetting after every step
      // (predictor_freq = 1) would also hold it, at the cost of a random d×d orthonormal matrix
      // (O(d⁴) in numpy) per step.
      linear();
      set('trainer.predictor_params.has_bias', false);
      set('trainer.predictor_reg', 'onehalfeig');
      set('trainer.predictor_eig', 0);
      set('trainer.predictor_eps', 1);
      set('trainer.predictor_freq', 0);
      set('trainer.init_rand_pred', true);
      translated.push(NO_PREDICTOR_WHY);
      break;
    case 'linear':
      linear();
      set('trainer.predictor_params.has_bias', p.bias);
      set('trainer.predictor_reg', p.symmetric ? 'symmetric' : null);
      break;
    case 'mlp':
      set('network.predictor_head.mlp_hidden_size', p.hidden);
      set('trainer.predictor_params.normalization', 'bn');
      // Our 2-layer predictor's BN has γ, β; the official default has none.
      set('trainer.predictor_params.has_bn_affine', true);
      set('trainer.predictor_reg', null);
      break;
    case 'directpred':
      linear();
      set('trainer.predictor_params.has_bias', p.bias);
      set('trainer.predictor_reg', 'corr');
      set('trainer.balance_type', 'boost_scale');
      set('trainer.predictor_freq', p.freq);
      set('trainer.dyn_lambda', p.rho);
      if (p.cj === undefined) set('trainer.dyn_eps', p.eps);
      else {
        // Table 7's c_j: the official code puts ε inside the square root (dyn_eps_inside), so one
        // dyn_eps carries either ε (outside) or −c_j (inside), never both.
        set('trainer.dyn_eps_inside', true);
        set('trainer.dyn_eps', -p.cj);
        if (p.eps !== 0) unmapped.push({ path: 'predictor.eps', value: p.eps, why: 'with predictor.cj set the official code has no ε outside the square root (dyn_eps carries −c_j under dyn_eps_inside=true): set eps to 0, as the paper\'s Table 7 does' });
      }
      if (p.freq > 1 && p.freqPhase === 'last') unmapped.push(phaseWhy(p.freqPhase));
      break;
    case 'directcopy':
      linear();
      set('trainer.predictor_params.has_bias', false);
      set('trainer.predictor_reg', 'corr');
      set('trainer.balance_type', 'direct');
      set('trainer.dyn_convert', 1);
      set('trainer.predictor_freq', p.freq);
      set('trainer.dyn_lambda', p.rho);
      set('trainer.dyn_eps', p.eps);
      if (p.freq > 1 && p.freqPhase === 'last') unmapped.push(phaseWhy(p.freqPhase));
      if (p.normalize === 'lambda-max') {
        unmapped.push({ path: 'predictor.normalize', value: p.normalize, why: 'the official DirectCopy is W_p = F̂ + εI with F̂ unnormalised (predictor.normalize "none"); with "lambda-max" ε is relative to λ_max(F̂) here and to F̂\'s raw scale there' });
      }
      break;
  }

  if (p.kind === 'optimal') {
    // Table 1's plug-in predictor: the official least-squares rule from F̂ and the cross-correlation.
    linear();
    set('trainer.predictor_params.has_bias', false);
    set('trainer.predictor_reg', 'solve');
    set('trainer.predictor_freq', p.freq);
    set('trainer.dyn_lambda', p.rho);
    set('trainer.dyn_reg', p.ridge);
    if (p.freq > 1 && p.freqPhase === 'last') unmapped.push(phaseWhy(p.freqPhase));
    unmapped.push({ path: 'predictor.ridge', value: p.ridge, why: 'the lab\'s ridge is relative to λ_max(F̂) (λ = ridge·λ_max); how the official solve applies dyn_reg (and its solve_direction) was not checked against its code, so the same number may not regularise alike' });
  }

  if (s.encoder.kind === 'resnet18') set('network.name', 'resnet18');
  else unmapped.push({ path: 'encoder', value: s.encoder, why: 'the official code trains ResNet-18 (network.name=resnet18)' });
  set('network.projection_head.mlp_hidden_size', s.projector.hidden);
  set('network.projection_head.projection_size', s.projector.out);
  set('trainer.projector_params.has_bn_affine', s.projector.bnAffine);
  if (s.method === 'byol' && s.targetInit === 'copy') {
    unmapped.push({ path: 'targetInit', value: 'copy', why: 'the official target starts from its own random initialisation (byol_trainer.py: `# self.initializes_target_network()`); no option copies the online weights' });
  }
  // Every head maps d → d: the official default (128) would not match the targets' d.
  set('network.predictor_head.projection_size', s.projector.out);
  set('trainer.use_l2_normalization', s.loss === 'cosine');

  const k = OUR_LOSS_PER_OFFICIAL[s.lossReduction];
  const wd = s.optim.weightDecay / k;
  set('optimizer.params.lr', s.optim.lr * k);
  set('optimizer.params.momentum', s.optim.momentum);
  set('optimizer.params.weight_decay', wd);
  if (k !== 1) {
    translated.push(`optimizer.params.lr = lr/2 and weight_decay = 2·weightDecay: this setup averages the two symmetric loss terms (lossReduction "mean"), the official code sums them (${num(s.optim.lr)} → ${num(s.optim.lr * k)}, ${num(s.optim.weightDecay)} → ${num(wd)})`);
  }
  const alphaP = s.optim.predictorLrRatio;
  if (p.kind === 'none') {
    set('predictor_optimizer_same', false);
    set('predictor_optimizer.params.lr', 0);
    set('predictor_optimizer.params.momentum', s.optim.momentum);
    set('predictor_optimizer.params.weight_decay', 0);
  } else if (alphaP !== 1 || s.optim.predictorWeightDecay !== s.optim.weightDecay) {
    set('predictor_optimizer_same', false);
    set('predictor_optimizer.params.lr', s.optim.lr * alphaP * k);
    set('predictor_optimizer.params.momentum', s.optim.momentum);
    set('predictor_optimizer.params.weight_decay', s.optim.predictorWeightDecay / k);
  }
  set('trainer.batch_size', s.optim.batchSize);
  if (Number.isInteger(s.optim.epochs)) set('trainer.max_epochs', s.optim.epochs);
  else {
    set('trainer.max_epochs', Math.ceil(s.optim.epochs));
    unmapped.push({ path: 'optim.epochs', value: s.optim.epochs, why: 'the official code trains whole epochs (rounded up)' });
  }
  if (s.optim.maxSteps !== undefined) unmapped.push({ path: 'optim.maxSteps', value: s.optim.maxSteps, why: 'the official code stops after max_epochs only' });
  if (s.optim.lastBatch === 'drop') unmapped.push({ path: 'optim.lastBatch', value: 'drop', why: 'the official DataLoader keeps the last partial batch (drop_last=False is fixed in byol_trainer.py)' });

  set('aug.prob_hflip', s.augment.flip ? 0.5 : 0);
  set('aug.prob_grayscale', s.augment.grayscale);
  for (const k of ['cropScale', 'cropRatio', 'brightness', 'contrast', 'saturation', 'noise'] as const) {
    unmapped.push({ path: `augment.${k}`, value: s.augment[k], why: 'the official augmentations are fixed per dataset (crop (0.08, 1), colour jitter 0.8/0.4 strength, blur on STL-10)' });
  }

  const name = s.data.dataset.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (name.startsWith('cifar10') && !name.startsWith('cifar100')) set('dataset', 'cifar10');
  else if (name.startsWith('stl10')) set('dataset', 'stl10');
  else unmapped.push({ path: 'data.dataset', value: s.data.dataset, why: 'the official code trains on stl10 or cifar10 (dataset=…, dataset_path=…)' });
  if (s.data.trainSize !== undefined) unmapped.push({ path: 'data.trainSize', value: s.data.trainSize, why: 'the official code trains on the whole split' });
  unmapped.push({ path: 'eval', value: s.eval, why: 'the official probe is logistic regression on 512-d features, 50 epochs, best test epoch reported (eval_after_each_epoch)' });
  return { overrides: o, unmapped, translated };
}

/** A Hydra command: `python main.py [-m] k=v …`, with comma lists for swept keys. */
export interface HydraCommand {
  multirun: boolean;
  overrides: [key: string, values: string[]][];
}

/** Renders a command for a POSIX shell (values quoted where the shell would split or expand them). */
export function formatHydraCommand(c: HydraCommand): string {
  const quote = (s: string) => (/^[\w.,:/+=-]*$/.test(s) ? s : `'${s.replaceAll("'", "'\\''")}'`);
  return ['python main.py', ...(c.multirun ? ['-m'] : []), ...c.overrides.map(([k, vs]) => quote(`${k}=${vs.join(',')}`))].join(' ');
}

/**
 * The fewest Hydra multirun commands that cover a sweep's members exactly. Each member's overrides
 * form a point; two commands that agree on every key but one merge into one command with a comma
 * list there (Hydra runs the cartesian product). Axes that change several options at once (a
 * predictor kind) therefore become separate commands; simple axes and seeds become lists.
 */
export function luckmattersSweep(members: readonly SweepMember[]): { commands: HydraCommand[]; unmapped: Unmapped[]; translated: string[] } {
  let groups: Map<string, string[]>[] = [];
  const unmapped = new Map<string, Unmapped>();
  const translated = new Set<string>();
  for (const m of members) {
    const t = luckmattersSetup(m.setup);
    groups.push(new Map(t.overrides.map(([k, v]) => [k, [v]])));
    for (const u of t.unmapped) unmapped.set(`${u.path}=${canonicalJson(u.value)}`, u);
    for (const x of t.translated) translated.add(x.replace(/ \(.*\)$/, ''));
  }
  const sameKeys = (a: Map<string, string[]>, b: Map<string, string[]>) => a.size === b.size && [...a.keys()].every((k) => b.has(k));
  for (let merged = true; merged; ) {
    merged = false;
    outer: for (let i = 0; i < groups.length; i++) {
      for (let j = i + 1; j < groups.length; j++) {
        const a = groups[i]!, b = groups[j]!;
        if (!sameKeys(a, b)) continue;
        const differ = [...a.keys()].filter((k) => a.get(k)!.join(',') !== b.get(k)!.join(','));
        if (differ.length !== 1) continue;
        const k = differ[0]!;
        const av = a.get(k)!, bv = b.get(k)!;
        if (bv.some((v) => av.includes(v))) continue; // overlapping lists would run a member twice
        a.set(k, [...av, ...bv]);
        groups = groups.filter((_, x) => x !== j);
        merged = true;
        break outer;
      }
    }
  }
  const commands = groups.map((g) => ({ multirun: [...g.values()].some((v) => v.length > 1), overrides: [...g.entries()] }));
  return { commands, unmapped: [...unmapped.values()], translated: [...translated] };
}
