/**
 * The keyboard shortcuts sheet's rows, built from the view registry (views/registry.ts) so the
 * sheet names every view and its Alt key: a view added there appears here without a second edit.
 */

/** One titled group of the sheet: [keys, what they do] pairs. */
export type ShortcutGroup = [title: string, rows: [keys: string, what: string][]];

/** The sheet's groups: the views by their Alt key first, then the keys of single views. */
export function shortcutGroups(views: readonly { label: string; key: string }[]): ShortcutGroup[] {
  const keys = views.map((v) => v.key);
  const span = keys.length > 1 ? `Alt ${keys[0]} … ${keys.at(-1)}` : `Alt ${keys[0] ?? ''}`;
  return [
    ['Views', views.map((v): [string, string] => [`Alt ${v.key}`, v.label])],
    ['Everywhere', [[span, 'switch view'], ['Alt T', 'light / dark theme'], ['?', 'this sheet'], ['Esc', 'close this sheet']]],
    ['Compose', [['Ctrl Enter', 'start the run'], ['Ctrl S', 'save the setup'], ['Alt Q', 'quick test on/off']]],
    ['Runs', [['/', 'filter'], ['↑ ↓ or K J', 'move'], ['Enter', 'open live view'], ['Space', 'select'], ['C', 'cancel'], ['R', 'resume'], ['D', 'duplicate and edit'], ['Delete', 'delete (asks)'], ['Esc', 'clear the selection']]],
    ['Live run', [['S', 'cycle smoothing'], ['L', 'log / linear eigenvalue axes']]],
  ];
}
