/**
 * The theory module's paper presets (src-main/theory/presets.ts) as one-click playground settings:
 * each run of a preset whose simulation has the playground's scalars (phase portrait, phase line,
 * per-mode dynamics, collapse diagram) becomes a button that sets the sliders (and, for a diagram
 * or a per-mode run, the diagram axes or the τ dynamics and initial modes). Presets of other kinds
 * (full-matrix, reduced, low-dimensional flows) have no slider equivalent and are left out.
 */
import type { Preset } from '../../../../src-main/theory/presets.ts';
import type { FlowParams } from './portrait.ts';

/** Axes a diagram preset sets. */
export interface DiagramAxes {
  x: 'eta' | 'alphaP' | 'beta' | 'sigma2' | 'tau0';
  y: 'eta' | 'alphaP' | 'beta' | 'sigma2' | 'tau0';
  target: 'fixed-tau' | 'ema';
}

/** One button. */
export interface PlaygroundPreset {
  id: string;
  label: string;
  params: Partial<FlowParams>;
  /** Per-mode runs: τ dynamics and initial modes of the over-time chart. */
  modes?: { target: 'ema' | 'simsiam' | 'fixed-tau'; p0: number[]; s0: number[]; t1: number };
  diagram?: DiagramAxes;
}

/** A row of buttons: one paper figure (`name` is its first preset's). */
export interface PresetGroup {
  name: string;
  figure: string;
  description: string;
  items: PlaygroundPreset[];
}

type Obj = Record<string, unknown>;
const num = (o: Obj, k: string): number | undefined => (typeof o[k] === 'number' ? (o[k] as number) : undefined);

function defined(p: Partial<FlowParams>): Partial<FlowParams> {
  return Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)) as Partial<FlowParams>;
}

/** Maps the theory presets onto playground buttons, in the module's order. */
export function playgroundPresets(presets: Readonly<Record<string, Preset>>): PresetGroup[] {
  const groups: PresetGroup[] = [];
  for (const preset of Object.values(presets)) {
    const items: PlaygroundPreset[] = [];
    preset.runs.forEach((run, i) => {
      const p = (run.spec.params ?? {}) as Obj;
      const id = `${preset.name}#${i}`;
      switch (run.spec.kind) {
        case 'phase-portrait':
        case 'phase-line':
          items.push({ id, label: run.label, params: defined({ tau: num(p, 'tau'), eta: num(p, 'eta'), sigma2: num(p, 'sigma2'), alphaP: num(p, 'alphaP') }) });
          break;
        case 'modes': {
          const modes = (p.modes ?? {}) as { p0?: number[]; s0?: number[] };
          const target = (p.target as 'ema' | 'simsiam' | 'fixed-tau' | undefined) ?? 'ema';
          items.push({
            id,
            label: run.label,
            // τ → 1 as the target catches up: the portrait at τ = 1 shows where the modes end up.
            params: defined({ tau: target === 'fixed-tau' ? num(p, 'tau0') : 1, eta: num(p, 'eta'), sigma2: num(p, 'sigma2'), alphaP: num(p, 'alphaP'), beta: num(p, 'beta') }),
            modes: modes.p0 && modes.s0 ? { target, p0: modes.p0, s0: modes.s0, t1: num(p, 't1') ?? 100 } : undefined,
          });
          break;
        }
        case 'collapse-diagram': {
          const base = (p.base ?? {}) as Obj;
          const x = (p.x ?? {}) as Obj;
          const y = (p.y ?? {}) as Obj;
          items.push({
            id,
            label: run.label,
            params: defined({ eta: num(base, 'eta'), sigma2: num(base, 'sigma2'), alphaP: num(base, 'alphaP'), beta: num(base, 'beta') }),
            diagram: { x: x.param as DiagramAxes['x'], y: y.param as DiagramAxes['y'], target: base.target === 'fixed-tau' ? 'fixed-tau' : 'ema' },
          });
          break;
        }
        default:
          break;
      }
    });
    if (!items.length) continue;
    // Consecutive presets of one figure (Fig. 3's three η panels) share a row.
    const last = groups[groups.length - 1];
    if (last && last.figure === preset.figure) {
      last.items.push(...items);
      last.description += `; ${preset.description}`;
    } else groups.push({ name: preset.name, figure: preset.figure, description: preset.description, items });
  }
  return groups;
}
