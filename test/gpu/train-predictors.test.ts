// SimSiam with a linear predictor and BYOL with an MLP predictor on webgpu against wasm.
import { compareOnWebgpu } from './train-compare.ts';

compareOnWebgpu(['SimSiam + linear predictor', 'BYOL + MLP predictor']);
