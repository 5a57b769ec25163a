/**
 * Run colours as reactive state: the archive's runs in creation order (from the runs list) decide
 * each run's palette entry (`setRunOrder`), and every swatch, line and bar reads it here, so a run
 * shown before the list arrives is recoloured once its place is known.
 */
import { chartRunColors, runColor, setRunOrder } from '../lib/runColors.ts';

class RunColors {
  /** Bumped whenever the order changes; reading it makes a template follow recolouring. */
  version = $state(0);

  /** Records the archive's runs (the full list) as the colour order. */
  setRows(rows: readonly { id: string; createdAt: number }[]): void {
    setRunOrder(rows);
    this.version++;
  }

  /** A run's colour (reactive). */
  color(runId: string): string {
    void this.version;
    return runColor(runId);
  }

  /** The colours of runs drawn together in one chart, unique among them (reactive; see `chartRunColors`). */
  chart(runIds: readonly string[]): Map<string, string> {
    void this.version;
    return chartRunColors(runIds);
  }
}

/** The app's run colours. */
export const runColors = new RunColors();
