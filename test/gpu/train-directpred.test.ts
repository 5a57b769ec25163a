// BYOL + DirectPred (freq 1) on webgpu against wasm: parameters after 3 steps, losses, no leaks.
import { compareOnWebgpu } from './train-compare.ts';

compareOnWebgpu(['BYOL + DirectPred']);
