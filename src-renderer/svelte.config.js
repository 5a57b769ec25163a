// Svelte 5 in runes mode for every component.
export default { compilerOptions: { runes: true } };
