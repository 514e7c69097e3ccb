// What the page holds of the watched session: its records as columns for the charts (x = TR), its
// trials, and the newest reconstruction. Records arrive in TR order, from catch-up first and then
// live; a TR at or below the last one held is a repeat and is counted, not added, so that a reconnect
// can never draw a TR twice.

export const MOTION_AXES = ['trans_x', 'trans_y', 'trans_z', 'rot_x', 'rot_y', 'rot_z'];
const DEG_PER_RAD = 180 / Math.PI;

const finite = (value) => (typeof value === 'number' && Number.isFinite(value) ? value : null);

export class SessionData {
  constructor(id) {
    this.id = id;
    this.lastTr = -1;
    this.duplicates = 0;
    this.errors = 0;
    this.tr = [];
    this.motion = Object.fromEntries(MOTION_AXES.map((axis) => [axis, []]));
    this.motionPoints = 0;
    this.fd = [];
    /** mask name → values aligned with `tr` (null where a TR has none). */
    this.roi = new Map();
    this.latency = [];
    this.latest = null;
    /** The newest record with class scores (an error record has none). */
    this.lastDecoded = null;
    /** trial index → {index, label, truth, stim_file, scores, n, firstTr, lastTr, frames}. */
    this.trials = new Map();
    this.frame = null;
    this.marks = [];
  }

  get count() {
    return this.tr.length;
  }

  /** Adds one record; false for a TR already held. */
  add(record) {
    if (typeof record.tr !== 'number' || record.tr <= this.lastTr) {
      this.duplicates += 1;
      return false;
    }
    const at = this.tr.length;
    this.lastTr = record.tr;
    this.latest = record;
    this.tr.push(record.tr);
    if (record.error) this.errors += 1;
    if (record.decoded) this.lastDecoded = record;
    const m = record.motion;
    if (m) this.motionPoints += 1;
    for (const axis of MOTION_AXES) {
      const value = finite(m?.[axis]);
      // Rotations travel in radians (docs/records.md); people read head motion in degrees.
      this.motion[axis].push(value === null ? null : axis.startsWith('rot') ? value * DEG_PER_RAD : value);
    }
    this.fd.push(finite(record.framewise_displacement));
    this.latency.push(finite(record.latencyMs?.total));
    for (const name of Object.keys(record.roi ?? {})) {
      if (!this.roi.has(name)) this.roi.set(name, new Array(at).fill(null));
    }
    for (const [name, values] of this.roi) values.push(finite(record.roi?.[name]));
    if (record.trial) this.noteTrial(record.trial.index, record.tr, record.trial);
    return true;
  }

  /** A reconstruction frame: the newest is shown, and its trial gets a place on the timeline. */
  addFrame(frame) {
    this.frame = frame;
    this.noteTrial(frame.trial, frame.tr, { stim_file: frame.stim_file });
    this.trials.get(frame.trial).frames += 1;
  }

  /** A marker sent from this page, drawn on the timeline at the newest TR it was sent after. */
  addMark(label) {
    this.marks.push({ tr: Math.max(this.lastTr, 0), label });
  }

  noteTrial(index, tr, fields) {
    const known = this.trials.get(index) ?? { index, firstTr: tr, lastTr: tr, frames: 0 };
    known.firstTr = Math.min(known.firstTr, tr);
    known.lastTr = Math.max(known.lastTr, tr);
    for (const key of ['label', 'truth', 'stim_file', 'scores', 'n', 'onset', 'duration']) {
      if (fields[key] !== undefined && fields[key] !== null) known[key] = fields[key];
    }
    this.trials.set(index, known);
  }

  /** Values over the threshold, the others null: the alarm-coloured points of the FD chart. */
  fdOver(threshold) {
    return this.fd.map((value) => (value !== null && value > threshold ? value : null));
  }
}
