/**
 * The app's views as registered blocks: adding a view means adding one entry here (and its
 * component). Order is the sidebar's order; `key` is the keyboard shortcut with Alt (or ⌥).
 */
import type { Component } from 'svelte';

/** A top-level view of the lab. */
export interface ViewEntry {
  id: string;
  label: string;
  key: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- views take different props, and only any admits every Component<Props>
  load: () => Promise<{ default: Component<any> }>;
}

export const VIEWS: ViewEntry[] = [
  { id: 'compose', label: 'Compose', key: '1', load: () => import('./Compose.svelte') },
  { id: 'runs', label: 'Runs', key: '2', load: () => import('./Runs.svelte') },
  { id: 'run', label: 'Live run', key: '3', load: () => import('./Run.svelte') },
  { id: 'compare', label: 'Compare', key: '4', load: () => import('./Compare.svelte') },
  { id: 'sweeps', label: 'Sweeps', key: '5', load: () => import('./Sweeps.svelte') },
  { id: 'theory', label: 'Theory', key: '6', load: () => import('./Theory.svelte') },
  { id: 'archive', label: 'Archive', key: '7', load: () => import('./Archive.svelte') },
  { id: 'paper', label: 'Paper', key: '8', load: () => import('./Paper.svelte') },
];
