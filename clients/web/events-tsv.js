// A BIDS events.tsv read in the browser, for the schedule of a replay started from the page
// (SessionSpec.events): the server reads no events file of its own for a replayed run, and without a
// schedule there are no trials to decode or reconstruct. Columns: onset and duration (required),
// trial_type and stim_file (optional); `n/a` and empty cells count as absent.

const absent = (cell) => cell === undefined || cell === '' || cell === 'n/a';

/** EventMarker[] from the text of an events.tsv; throws with the line of the first bad row. */
export function parseEventsTsv(text) {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  if (lines.length === 0) throw new Error('the events file is empty');
  const header = lines[0].split('\t').map((name) => name.trim());
  const column = (name) => header.indexOf(name);
  const [onset, duration, trialType, stimFile] = ['onset', 'duration', 'trial_type', 'stim_file'].map(column);
  if (onset < 0 || duration < 0) throw new Error('an events file needs onset and duration columns');
  return lines.slice(1).map((line, i) => {
    const cells = line.split('\t').map((cell) => cell.trim());
    const event = { onset: Number(cells[onset]), duration: Number(cells[duration]) };
    if (!Number.isFinite(event.onset) || !Number.isFinite(event.duration) || event.duration < 0) {
      throw new Error(`events line ${i + 2}: onset and duration must be numbers (duration ≥ 0)`);
    }
    if (trialType >= 0 && !absent(cells[trialType])) event.trial_type = cells[trialType];
    if (stimFile >= 0 && !absent(cells[stimFile])) event.stim_file = cells[stimFile];
    return event;
  });
}
