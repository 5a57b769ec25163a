/**
 * The environment a trainer process starts with. child_process copies `options.env` with a for…in
 * loop, so a value inherited through a polluted Object.prototype (NODE_OPTIONS=--import=data:…)
 * would reach the child and run there. Trainers therefore get an explicit, null-prototype copy of
 * the parent's own variables only.
 */

/** A null-prototype copy of the own string-valued entries of `source` (default: this process's environment). */
export function trainerEnv(source: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env = Object.create(null) as NodeJS.ProcessEnv;
  for (const key of Object.keys(source)) {
    const value = source[key];
    if (typeof value === 'string') env[key] = value;
  }
  return env;
}
