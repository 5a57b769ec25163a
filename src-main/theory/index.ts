/**
 * The Theory lab: the linear-network dynamics of Tian, Chen & Ganguli (ICML 2021) in pure
 * TypeScript (browser-safe; imports only src-main/math). Every function validates its params
 * through the exported zod schemas and returns plain JSON-shaped data for plotting.
 */
export * from './params.ts';
export type { TimeSeries } from './series.ts';
export { integrate, type Derivative, type IntegrationStats } from './integrators.ts';
export { fixedPoints, invariantParabola, modeInvariantS, pDotOnParabola, balanceMatrix, theorem1Residual, correlationF, type FixedPoints } from './closedForms.ts';
export { simulateModes, type ModesResult } from './modes.ts';
export { simulateFullMatrix, dataMatrices, initialWeights, type FullMatrixResult } from './fullMatrix.ts';
export { simulateReduced, theorem3K, type ReducedResult } from './reduced.ts';
export { phasePortrait, phaseLine, lowDimFlow, lowDimField, classify2x2, type PlanarFlow, type PlanarFixedPoint, type Stability, type LowDimVariantParams } from './portrait.ts';
export { findPlanarFixedPoints, classifyJacobian, type PlanarField, type FoundFixedPoint, type FixedCurve, type FixedPointKind, type FixedPointSearch } from './fixedpoints.ts';
export { collapseDiagram, axisValues, expandInitial, type CollapseDiagram } from './collapse.ts';
export { sgdBridge, type SgdBridgeResult } from './sgd.ts';
export { PRESETS, SIMULATIONS, presetNamed, runPreset, runSimulation, type Preset, type PresetResult, type SimulationKind, type SimulationOutput, type SimulationSpec } from './presets.ts';
