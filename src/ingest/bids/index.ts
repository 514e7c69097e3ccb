/**
 * BIDS: runs, their sidecar metadata by inheritance, their repetition time by a stated rule (K20),
 * and their events tables.
 */
export { findBoldRuns, describeBoldRun, type BoldRun } from './runs.js';
export { readEvents, parseEvents, eventsFor, type EventRow } from './events.js';
export { parseBidsName, type BidsName } from './entities.js';
export { inheritedSidecar, type Sidecar } from './sidecar.js';
