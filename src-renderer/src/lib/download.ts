/**
 * Saving files from the renderer without Node: an object URL clicked through a temporary link.
 * Works in Chromium (web mode) and in Electron (which turns it into its save dialog).
 */

/** Offers `text` as a file named `filename`. */
export function saveText(filename: string, text: string, mime = 'text/plain'): void {
  saveBlob(filename, new Blob([text], { type: `${mime};charset=utf-8` }));
}

/** Offers a blob as a file named `filename`. */
export function saveBlob(filename: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  // Revoke later: some browsers start reading the URL after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
