/**
 * Light/dark theme: follows the system until the user picks one, remembered in localStorage.
 * Charts read `theme.current` so they redraw their axes in the theme's colours.
 */
export type ThemeName = 'light' | 'dark';

const KEY = 'dplab.theme';

export class ThemeState {
  current = $state<ThemeName>('light');

  constructor() {
    let saved: string | null;
    try {
      saved = globalThis.localStorage?.getItem(KEY) ?? null;
    } catch {
      saved = null;
    }
    const system = globalThis.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
    this.current = saved === 'dark' || saved === 'light' ? saved : system;
    this.apply();
  }

  /** Switches between light and dark and remembers the choice. */
  toggle(): void {
    this.current = this.current === 'dark' ? 'light' : 'dark';
    try {
      globalThis.localStorage?.setItem(KEY, this.current);
    } catch {
      // private mode: the choice lasts for this session only
    }
    this.apply();
  }

  private apply(): void {
    if (globalThis.document) document.documentElement.dataset.theme = this.current;
  }
}

/** The app's theme. */
export const theme = new ThemeState();
