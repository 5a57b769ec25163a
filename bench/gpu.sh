#!/usr/bin/env bash
# One command for a machine with a GPU: measures every backend that loads here — the reference
# training step at B = 64 and 256 and `dplab run` of the default setup for 100 steps — and writes
# bench/gpu-results.json plus a "GPU backends" section in BENCHMARKS.md.
# Usage: bash bench/gpu.sh     (from the project folder, after npm install)
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/gpu-results.json
tmp=$(mktemp -d)
node bin/dplab.mjs backends --json --quick > "$tmp/backends.json"
rm -f "$tmp/steps.json"
for b in $(node -e 'const r=require(process.argv[1]);console.log(r.backends.filter(b=>b.loads&&b.kind!=="cpu"&&!(b.adapter&&b.adapter.fallback)).map(b=>b.kind).join(" "))' "$tmp/backends.json"); do
  echo "== $b: reference step"
  npm run --silent bench -- step --backend "$b" --batches=64,256 --json "$tmp/steps.json"
  echo "== $b: dplab run (default setup, 100 steps)"
  node bin/dplab.mjs run examples/fmnist-directpred.json --backend "$b" --set optim.maxSteps=100 --quiet --no-archive --out "$tmp/run-$b.json"
done
node - "$tmp" "$out" <<'JS'
const fs = require('fs');
const [tmp, out] = process.argv.slice(2);
const backends = JSON.parse(fs.readFileSync(`${tmp}/backends.json`, 'utf8'));
const steps = fs.existsSync(`${tmp}/steps.json`) ? JSON.parse(fs.readFileSync(`${tmp}/steps.json`, 'utf8')) : [];
const runs = fs.readdirSync(tmp).filter((f) => f.startsWith('run-')).map((f) => ({ backend: f.slice(4, -5), summary: JSON.parse(fs.readFileSync(`${tmp}/${f}`, 'utf8')) }));
const result = { date: new Date().toISOString(), platform: backends.platform, backends: backends.backends, steps, runs };
fs.writeFileSync(out, JSON.stringify(result, null, 2));
const adapter = (a) => (a ? `${a.vendor} ${a.architecture} (${a.description})` : '');
const lines = ['## GPU backends', '', `- command: \`bash bench/gpu.sh\``, `- machine: ${backends.platform}, ${result.date.slice(0, 16)}Z`, '',
  '| backend | adapter | B | images/s (reference step) |', '| --- | --- | ---: | ---: |',
  ...steps.map((s) => `| ${s.backend} | ${adapter(s.adapter)} | ${s.batch} | ${s.imagesPerSec.toFixed(1)} |`), '',
  '| backend | dplab run, default setup, 100 steps: images/s | wall s |', '| --- | ---: | ---: |',
  ...runs.map((r) => `| ${r.backend} | ${r.summary.imagesPerSec?.toFixed(1) ?? '—'} | ${r.summary.wallSec?.toFixed(0) ?? '—'} |`), ''];
const file = 'BENCHMARKS.md';
let text = fs.readFileSync(file, 'utf8');
const start = text.indexOf('## GPU backends');
const section = lines.join('\n');
if (start >= 0) { const next = text.indexOf('\n## ', start + 3); text = text.slice(0, start) + section + (next >= 0 ? text.slice(next + 1) : ''); }
else text = text.replace(/\n*$/, '\n\n') + section;
fs.writeFileSync(file, text);
console.log(`wrote ${out} and the "GPU backends" section of BENCHMARKS.md`);
JS
