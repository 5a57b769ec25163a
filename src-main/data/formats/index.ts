/**
 * Registers every built-in dataset format (import for its side effect); a new format adds one line.
 * Order matters for detection: the specific binary layouts first, the catch-all image folder last.
 */
import './idx.ts';
import './cifar.ts';
import './stl10.ts';
import './folder.ts';
