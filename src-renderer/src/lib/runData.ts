/**
 * A run's series as the live view holds them: scalars by name, spectra over time, evals. Built from
 * the archive's history, then extended by live `run.metrics` batches. Every update returns a new
 * object with new arrays (so `$state.raw` sees it) and drops points at or before the last known
 * step, so history and live events may overlap without duplicates.
 */
import type { Results } from '../../../src-main/contract/index.ts';
import type { EvalEvent, ScalarsEvent, SpectraEvent } from '../../../src-main/common/events.ts';
import { modeColor, type ChartSeries } from './series.ts';

/** One scalar over steps. */
export interface ScalarTrack {
  steps: number[];
  values: (number | null)[];
}

/** Spectra over time: row k holds the per-mode values at steps[k]. */
export interface SpectraTrack {
  steps: number[];
  fEig: number[][];
  wpEig: number[][];
  alignment: number[][];
  asymmetry: (number | null)[];
}

/** Everything the live run view charts. */
export interface RunData {
  scalars: Record<string, ScalarTrack>;
  spectra: SpectraTrack;
  evals: { steps: number[]; probeAcc: (number | null)[]; knnAcc: (number | null)[] };
}

/** An empty run. */
export function emptyRunData(): RunData {
  return {
    scalars: {},
    spectra: { steps: [], fEig: [], wpEig: [], alignment: [], asymmetry: [] },
    evals: { steps: [], probeAcc: [], knnAcc: [] },
  };
}

/** A run's data from the archive's answers to runs.metrics, runs.spectra and runs.evals. */
export function fromHistory(metrics: Results['runs.metrics'], spectra: Results['runs.spectra'], evals: Results['runs.evals']): RunData {
  const scalars: Record<string, ScalarTrack> = {};
  for (const s of metrics) scalars[s.name] = { steps: [...s.steps], values: [...s.values] };
  const sp = [...spectra].sort((a, b) => a.step - b.step);
  const ev = [...evals].sort((a, b) => a.step - b.step);
  return {
    scalars,
    spectra: {
      steps: sp.map((r) => r.step),
      fEig: sp.map((r) => r.fEig),
      wpEig: sp.map((r) => r.wpEig),
      alignment: sp.map((r) => r.alignment),
      asymmetry: sp.map((r) => r.asymmetry),
    },
    evals: { steps: ev.map((r) => r.step), probeAcc: ev.map((r) => r.probeAcc), knnAcc: ev.map((r) => r.knnAcc) },
  };
}

const last = (a: number[]) => (a.length ? a[a.length - 1]! : -Infinity);

/** Appends one batch of live events (in step order); returns the same object when nothing is new. */
export function appendEvents(data: RunData, events: readonly (ScalarsEvent | SpectraEvent | EvalEvent)[]): RunData {
  const scalarAdds = new Map<string, { steps: number[]; values: (number | null)[] }>();
  const sp: SpectraEvent[] = [];
  const ev: EvalEvent[] = [];
  const spLast = last(data.spectra.steps);
  const evLast = last(data.evals.steps);
  for (const e of events) {
    if (e.type === 'scalars') {
      for (const [name, v] of Object.entries(e.values)) {
        const known = data.scalars[name];
        const add = scalarAdds.get(name) ?? { steps: [], values: [] };
        const lastStep = add.steps.length ? last(add.steps) : known ? last(known.steps) : -Infinity;
        if (e.step <= lastStep) continue;
        add.steps.push(e.step);
        add.values.push(Number.isFinite(v) ? v : null);
        scalarAdds.set(name, add);
      }
    } else if (e.type === 'spectra') {
      if (e.step > (sp.length ? sp[sp.length - 1]!.step : spLast)) sp.push(e);
    } else if (e.type === 'eval') {
      if (e.step > (ev.length ? ev[ev.length - 1]!.step : evLast)) ev.push(e);
    }
  }
  if (scalarAdds.size === 0 && sp.length === 0 && ev.length === 0) return data;
  const scalars = { ...data.scalars };
  for (const [name, add] of scalarAdds) {
    const known = scalars[name] ?? { steps: [], values: [] };
    scalars[name] = { steps: known.steps.concat(add.steps), values: known.values.concat(add.values) };
  }
  const spectra = sp.length
    ? {
        steps: data.spectra.steps.concat(sp.map((e) => e.step)),
        fEig: data.spectra.fEig.concat(sp.map((e) => e.fEig)),
        wpEig: data.spectra.wpEig.concat(sp.map((e) => e.wpEig)),
        alignment: data.spectra.alignment.concat(sp.map((e) => e.alignment)),
        asymmetry: data.spectra.asymmetry.concat(sp.map((e) => (Number.isFinite(e.asymmetry) ? e.asymmetry : null))),
      }
    : data.spectra;
  const evals = ev.length
    ? {
        steps: data.evals.steps.concat(ev.map((e) => e.step)),
        probeAcc: data.evals.probeAcc.concat(ev.map((e) => e.probeAcc)),
        knnAcc: data.evals.knnAcc.concat(ev.map((e) => e.knnAcc)),
      }
    : data.evals;
  return { scalars, spectra, evals };
}

/** Chart series of one scalar ([] when the run has none). */
export function scalarSeries(data: RunData, name: string, label = name, color?: string): ChartSeries[] {
  const t = data.scalars[name];
  return t && t.steps.length ? [{ label, x: t.steps, y: t.values, color }] : [];
}

/**
 * One line per mode j of a per-mode quantity over time (s_j, eigenvalues of W_p, alignment), coloured
 * from mode 1 (largest s_j, blue) to mode d (red). At most `maxModes` lines, evenly picked, so a
 * 512-d projector stays readable.
 */
export function modeSeries(track: SpectraTrack, key: 'fEig' | 'wpEig' | 'alignment', maxModes = 64): ChartSeries[] {
  const rows = track[key];
  const d = rows.reduce((m, r) => Math.max(m, r.length), 0);
  if (d === 0) return [];
  const picks = pickModes(d, maxModes);
  return picks.map((j) => ({
    label: `mode ${j + 1}`,
    x: track.steps,
    y: rows.map((r) => (j < r.length && Number.isFinite(r[j]) ? r[j]! : null)),
    color: modeColor(j, d),
  }));
}

/** Indices 0…d−1, or `max` of them spread evenly (first and last kept). */
export function pickModes(d: number, max: number): number[] {
  if (d <= max) return Array.from({ length: d }, (_, i) => i);
  const out = new Set<number>();
  for (let k = 0; k < max; k++) out.add(Math.round((k * (d - 1)) / (max - 1)));
  return [...out];
}

/** The last spectrum as bars: x = mode index 1…d. */
export function finalSpectrumSeries(track: SpectraTrack): ChartSeries[] {
  const out: ChartSeries[] = [];
  const f = track.fEig[track.fEig.length - 1];
  const w = track.wpEig[track.wpEig.length - 1];
  if (f && f.length) out.push({ label: 's_j (F̂)', x: f.map((_, j) => j + 1), y: f, color: '#2563eb' });
  // p_j on its own (right) axis: beside s_j ≈ 13 its bars of ≈ 1 would be invisible.
  if (w && w.length) out.push({ label: 'p_j (W_p)', x: w.map((_, j) => j + 1), y: w, color: '#e8590c', y2: true });
  return out;
}

/**
 * The epoch at `step`, from the epochs the archive logged beside the steps (epoch = step / steps per
 * epoch): a reopened finished run shows the same "epoch 5.00" it showed live, not 0.
 */
export function epochAtStep(metrics: Results['runs.metrics'], step: number): number | null {
  for (const s of metrics) {
    for (let i = s.steps.length - 1; i >= 0; i--) {
      const st = s.steps[i]!;
      const ep = s.epochs[i];
      if (st > 0 && ep !== undefined && Number.isFinite(ep)) return (ep / st) * step;
    }
  }
  return null;
}
