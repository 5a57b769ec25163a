/**
 * Builds the bundled Fashion-MNIST sample (resources/datasets/fashion-mnist-sample) from Debian's
 * dataset-fashion-mnist IDX files: a class-balanced, seeded subset of 10,000 train images (1,000 per
 * class) and 2,000 test images (200 per class), stored in the import-cache format with gzip so a
 * first run needs no download. Run: node --import tsx scripts/make-fashion-sample.ts [IDX_DIR]
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deriveSeed, permutation } from '../src-main/math/seeds.ts';
import { writeCacheFolder } from '../src-main/data/cache.ts';
import { FASHION_MNIST_CLASSES, readIdxFolder } from '../src-main/data/formats/idx.ts';
import { imageBytes, takeSplit } from '../src-main/data/stored.ts';
import type { Split } from '../src-main/data/types.ts';

const SEED = 2021;
const TRAIN_PER_CLASS = 1000;
const TEST_PER_CLASS = 200;

/** The first `perClass` images of each class in a seeded order, returned in their original order. */
function balanced(s: Split, perClass: number, classes: number, seed: number): number[] {
  const order = permutation(s.count, seed);
  const taken = new Array<number>(classes).fill(0);
  const out: number[] = [];
  for (const i of order) {
    const l = s.labels[i]!;
    if (taken[l]! < perClass) {
      taken[l]!++;
      out.push(i);
    }
  }
  if (taken.some((t) => t < perClass)) throw new Error(`a class has fewer than ${perClass} images`);
  return out.sort((a, b) => a - b);
}

const src = process.argv[2] ?? '/usr/share/datasets/fashion-mnist';
const out = fileURLToPath(new URL('../resources/datasets/fashion-mnist-sample', import.meta.url));
const full = await readIdxFolder(src, { name: 'fashion-mnist-sample', classNames: FASHION_MNIST_CLASSES.slice() });
const per = imageBytes(full);
const train = takeSplit(full.train, balanced(full.train, TRAIN_PER_CLASS, 10, deriveSeed(SEED, 'subset', 0)), per);
const test = takeSplit(full.test, balanced(full.test, TEST_PER_CLASS, 10, deriveSeed(SEED, 'subset', 1)), per);
if (existsSync(out)) rmSync(out, { recursive: true });
mkdirSync(dirname(out), { recursive: true });
const meta = writeCacheFolder(out, { ...full, train, test, source: 'bundled sample of Fashion-MNIST (Zalando SE, MIT licence)' }, 'idx', { gzip: true });
meta.importedAt = '';
writeFileSync(`${out}/meta.json`, JSON.stringify(meta, null, 2) + '\n');
writeFileSync(
  `${out}/README.md`,
  `# Fashion-MNIST sample

A class-balanced subset of Fashion-MNIST: ${train.count} training images (${TRAIN_PER_CLASS} per class, from the
60,000 training images) and ${test.count} test images (${TEST_PER_CLASS} per class, from the 10,000 test images),
28×28 gray, chosen with seed ${SEED} by \`scripts/make-fashion-sample.ts\` from Debian's \`dataset-fashion-mnist\`
IDX files. Stored in DirectPred Lab's dataset cache format (uint8 images N×28×28×1 and int32 labels, gzip).

Content hash (sha256): ${meta.hash}

Fashion-MNIST: Han Xiao, Kashif Rasul and Roland Vollgraf, "Fashion-MNIST: a Novel Image Dataset for
Benchmarking Machine Learning Algorithms", arXiv:1708.07747, 2017. https://github.com/zalandoresearch/fashion-mnist
Copyright (c) 2017 Zalando SE, released under the MIT licence (see LICENSE in this folder).
`,
);
writeFileSync(
  `${out}/LICENSE`,
  `The MIT License (MIT)

Copyright (c) 2017 Zalando SE

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
`,
);
console.log(`wrote ${out}: ${train.count} train + ${test.count} test images, hash ${meta.hash}`);
