/** Vite's `?raw` import: the file's text, bundled (the Paper view's committed report). */
declare module '*.md?raw' {
  const text: string;
  export default text;
}
