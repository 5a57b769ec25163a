/**
 * `dplab backends [--json] [--quick]`: every training backend, whether it loads here and, if not,
 * why; the GPU adapter of webgpu; which one `auto` picks; images/s of the reference step for each
 * backend that loads (a few seconds each; --quick skips the figures).
 */
import { parseCommand } from './args.ts';
import { adapterLabel } from '../common/backends.ts';
import type { BackendsReport } from '../engine/backends-report.ts';

const HELP = `usage: dplab backends [--json] [--quick] [--progress]

Tries every training backend (tfjs-node-gpu, webgpu, tfjs-node, wasm, cpu) in this process and
tells whether it loads and, if not, why; webgpu's GPU adapter; which one --backend auto picks;
and the images/s of the reference training step (B = 64, 32×32×3) for each backend that loads.
The cpu backend and a software GPU adapter (SwiftShader) are timed at B = 2 for one step: a
correctness path, not a speed claim. --quick skips the figures; --json prints the report as JSON;
--progress writes one line per stage to stderr ("progress: wasm: timing …"), for the app.`;

/** The report as text, one block per backend. */
export function formatReport(r: BackendsReport): string {
  const lines = [`training backends on ${r.platform} (auto picks ${r.auto}):`];
  for (const b of r.backends) {
    const head = `${b.kind.padEnd(14)} ${b.loads ? 'loads' : 'no   '}`;
    const detail = b.adapter ? adapterLabel(b.adapter) : b.loads ? '' : b.reason ?? '';
    lines.push(`  ${head}  ${detail}`.trimEnd());
    const pad = ' '.repeat(24);
    if (b.loads && b.reason) lines.push(`${pad}${b.reason}`);
    if (b.needs && !b.loads) lines.push(`${pad}needs: ${b.needs}`, `${pad}found: ${b.found}`);
    if (b.rate) {
      const of = b.rate.steps === 1 ? 'one step' : `median of ${b.rate.steps} steps`;
      lines.push(`${pad}${b.rate.imagesPerSec.toFixed(b.rate.imagesPerSec < 10 ? 2 : 1)} images/s (reference step, B = ${b.rate.batch}, ${of})`);
      if (b.rateNote) lines.push(`${pad}${b.rateNote}`);
    } else if (b.rateNote) lines.push(`${pad}images/s ${b.rateNote}`);
  }
  return lines.join('\n');
}

/** The `backends` sub-command. */
export async function backendsCommand(args: string[]): Promise<number> {
  const a = parseCommand('backends', args, { boolean: ['json', 'quick', 'progress'] }, HELP);
  if (typeof a === 'number') return a;
  const { reportBackends } = await import('../engine/backends-report.ts');
  const report = await reportBackends({
    quick: !!a.flags.quick,
    onProgress: a.flags.progress
      ? (line) => process.stderr.write(`progress: ${line}\n`)
      : a.flags.json ? undefined : (line) => process.stderr.isTTY && process.stderr.write(`\r${line.padEnd(60)}`),
  });
  if (!a.flags.json && !a.flags.progress && process.stderr.isTTY) process.stderr.write(`\r${' '.repeat(60)}\r`);
  console.log(a.flags.json ? JSON.stringify(report, null, 2) : formatReport(report));
  return 0;
}
