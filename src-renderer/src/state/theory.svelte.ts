/**
 * The theory playground's state: slider parameters (paper symbols), the (p, s) window, the
 * collapse diagram's axes, and the diagram itself. The portrait and phase line are cheap and are
 * derived in the view on every slider move; the diagram (thousands of mode integrations) is
 * computed in a worker, one at a time, always for the latest inputs (intermediate slider
 * positions are skipped). Without workers (e.g. a file:// page that refuses them) it is computed
 * in the page after a short pause.
 */
import { collapseDiagram, type CollapseDiagram } from '../../../src-main/theory/collapse.ts';
import type { AxisParam, CollapseDiagramParamsInput } from '../../../src-main/theory/params.ts';
import { PRESETS } from '../../../src-main/theory/presets.ts';
import type { FlowParams, Window } from '../lib/theory/portrait.ts';
import { playgroundPresets, type PlaygroundPreset, type PresetGroup } from '../lib/theory/presets.ts';

/** The theory module's paper presets as playground buttons, grouped by figure. */
export const PRESET_GROUPS: PresetGroup[] = playgroundPresets(PRESETS);

/** Initial modes of the over-time chart: those of the paper's Fig. 5 preset. */
const FIG5 = PRESET_GROUPS.flatMap((g) => g.items).find((i) => i.modes)?.modes ?? { target: 'ema' as const, p0: [0.05, 0.1, 0.3], s0: [0.01, 0.1, 1], t1: 100 };

/** Range and scale of a diagram axis per parameter. */
export const AXIS_RANGES: Record<AxisParam, { min: number; max: number; scale: 'linear' | 'log'; label: string }> = {
  eta: { min: 0, max: 0.4, scale: 'linear', label: 'η (weight decay)' },
  sigma2: { min: 0, max: 1.5, scale: 'linear', label: 'σ² (augmentation)' },
  alphaP: { min: 0.1, max: 10, scale: 'log', label: 'α_p (predictor lr ratio)' },
  beta: { min: 0.01, max: 2, scale: 'log', label: 'β (EMA rate)' },
  tau0: { min: 0.05, max: 1.2, scale: 'linear', label: 'τ' },
};

/** Playground state. */
export class TheoryState {
  params = $state<FlowParams>({ tau: 1, sigma2: 0, eta: 0.01, alphaP: 1, beta: 0.4 });
  presetId = $state<string | null>('fig3-eta0.01#0');
  /** τ dynamics, initial modes and horizon of the per-mode chart over time. */
  modes = $state<NonNullable<PlaygroundPreset['modes']>>({ ...FIG5, target: 'ema' });
  /** The (p, s) window: s starts below 0 so the fixed points at the origin are drawn whole. */
  win = $state<Window>({ p: [-0.25, 1.25], s: [-0.08, 1.2] });
  /** τ dynamics in the diagram: fixed τ (as in the portrait) or BYOL's EMA from τ(0) = 0. */
  diagramTarget = $state<'fixed-tau' | 'ema'>('fixed-tau');
  xParam = $state<AxisParam>('eta');
  yParam = $state<AxisParam>('sigma2');
  diagram = $state.raw<CollapseDiagram | null>(null);
  diagramError = $state<string | null>(null);
  computing = $state(false);
  /**
   * True while a slider moves (and for a moment after): the portrait, phase line and mode charts
   * draw a coarse version that keeps up with the hand, then the full one once it stops.
   */
  coarse = $state(false);
  /** Bumped when a preset changes what the per-mode chart shows (β, modes): it scrolls into view and flashes. */
  modesFocus = $state(0);
  #pending: ReturnType<typeof setTimeout> | null = null;
  #settle: ReturnType<typeof setTimeout> | null = null;

  /** A slider moved: coarse now, refined 180 ms after the last move. */
  moving(): void {
    if (!this.coarse) this.coarse = true;
    if (this.#settle) clearTimeout(this.#settle);
    this.#settle = setTimeout(() => {
      this.#settle = null;
      this.coarse = false;
    }, 180);
  }
  #lastKey = '';

  /** Applies a paper preset: its sliders, and its modes or diagram axes when it has them. */
  apply(p: PlaygroundPreset): void {
    this.params = { ...this.params, ...p.params };
    if (p.modes) this.modes = { ...p.modes };
    // A β (EMA rate) or per-mode preset changes only the mode dynamics: take the eye there.
    if (p.modes || (p.params && 'beta' in p.params)) this.modesFocus++;
    if (p.diagram) {
      this.xParam = p.diagram.x;
      this.yParam = p.diagram.y;
      this.diagramTarget = p.diagram.target;
    }
    this.presetId = p.id;
  }

  /** Value of a diagram parameter at the current sliders (τ0 ↔ the τ slider). */
  current(param: AxisParam): number {
    return param === 'tau0' ? this.params.tau : this.params[param];
  }

  /** Inputs the diagram depends on (the swept two are excluded, so moving them only moves the marker). */
  diagramKey(): string {
    const q = this.params;
    const base = { alphaP: q.alphaP, beta: q.beta, eta: q.eta, sigma2: q.sigma2, tau0: q.tau } as Record<AxisParam, number>;
    delete base[this.xParam];
    delete base[this.yParam];
    if (this.diagramTarget === 'fixed-tau') delete (base as Partial<Record<AxisParam, number>>).beta;
    return JSON.stringify([this.diagramTarget, this.xParam, this.yParam, base]);
  }

  /** Schedules a diagram computation if its inputs changed. */
  requestDiagram(): void {
    const key = this.diagramKey();
    if (key === this.#lastKey) return;
    this.#lastKey = key;
    const params = this.diagramParams();
    if (!params) return;
    const worker = this.#ensureWorker();
    if (worker) {
      this.#latest = params;
      if (this.#busyId === null) this.#send();
      return;
    }
    if (this.#pending) clearTimeout(this.#pending);
    this.#pending = setTimeout(() => {
      this.#pending = null;
      this.computeDiagram(params);
    }, 120);
  }

  /** The diagram's parameters at the current sliders, or null (with the reason shown) when invalid. */
  diagramParams(): CollapseDiagramParamsInput | null {
    if (this.xParam === this.yParam) {
      this.diagramError = 'Pick two different parameters for the axes.';
      this.diagram = null;
      return null;
    }
    const q = this.params;
    const ax = (param: AxisParam, count: number) => ({ param, min: AXIS_RANGES[param].min, max: AXIS_RANGES[param].max, count, scale: AXIS_RANGES[param].scale });
    return {
      base: { target: this.diagramTarget, alphaP: q.alphaP, beta: q.beta, eta: q.eta, sigma2: q.sigma2, tau0: this.diagramTarget === 'ema' ? 0 : q.tau },
      x: ax(this.xParam, 28),
      y: ax(this.yParam, 22),
      initial: { kind: 'parabola', p: [0, 0.5], count: 12, c: 0 },
      t1: 200,
      steps: 1000,
      earlyExit: true,
    };
  }

  /** Computes the diagram in the page (the fallback without a worker). */
  computeDiagram(params: CollapseDiagramParamsInput): void {
    this.computing = true;
    try {
      this.diagram = collapseDiagram(params);
      this.diagramError = null;
    } catch (e) {
      this.diagramError = e instanceof Error ? e.message : String(e);
      this.diagram = null;
    } finally {
      this.computing = false;
    }
  }

  #worker: Worker | null | undefined = undefined;
  #latest: CollapseDiagramParamsInput | null = null;
  #busyId: number | null = null;
  #seq = 0;

  #ensureWorker(): Worker | null {
    if (this.#worker !== undefined) return this.#worker;
    try {
      const w = new Worker(new URL('../views/theory/diagram.worker.ts', import.meta.url), { type: 'module' });
      w.onmessage = (e: MessageEvent<{ id: number; ok: boolean; diagram?: CollapseDiagram; error?: string }>) => {
        if (e.data.id !== this.#busyId) return;
        this.#busyId = null;
        if (e.data.ok) {
          this.diagram = e.data.diagram!;
          this.diagramError = null;
        } else {
          this.diagramError = e.data.error ?? 'the diagram failed';
          this.diagram = null;
        }
        if (this.#latest) this.#send();
        else this.computing = false;
      };
      w.onerror = () => {
        // The worker could not load (CSP, file:// origin): compute in the page from now on.
        this.#worker = null;
        this.#busyId = null;
        const p = this.#latest ?? this.diagramParams();
        this.#latest = null;
        if (p) this.computeDiagram(p);
      };
      this.#worker = w;
    } catch {
      this.#worker = null;
    }
    return this.#worker;
  }

  #send(): void {
    const params = this.#latest;
    if (!params || !this.#worker) return;
    this.#latest = null;
    this.#busyId = ++this.#seq;
    this.computing = true;
    this.#worker.postMessage({ id: this.#busyId, params: $state.snapshot(params) });
  }
}

/** The app's theory playground. */
export const theory = new TheoryState();
