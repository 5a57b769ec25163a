// Computes collapse phase diagrams off the main thread, so sliders stay smooth while a diagram
// (thousands of mode integrations) is recomputed.
import { collapseDiagram } from '../../../../src-main/theory/collapse.ts';
import type { CollapseDiagramParamsInput } from '../../../../src-main/theory/params.ts';

self.onmessage = (e: MessageEvent<{ id: number; params: CollapseDiagramParamsInput }>) => {
  const { id, params } = e.data;
  try {
    self.postMessage({ id, ok: true, diagram: collapseDiagram(params) });
  } catch (err) {
    self.postMessage({ id, ok: false, error: err instanceof Error ? err.message : String(err) });
  }
};
