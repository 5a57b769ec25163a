/** Registers every built-in dataset format (import for its side effect); a new format adds one line. */
import './idx.ts';
