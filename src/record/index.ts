/** Session recording: write while a session runs, read back for catch-up, replay and inspection. */
export { Recorder, closeInterrupted, initialInfo, type RecorderOptions, type RecordedSpec } from './recorder.js';
export { openRecording, readRecordingSession, type Recording, type RecordedVolume, type RecordedEvent, type RecordingDamage } from './reader.js';
export { recordingDir, recordingFiles } from './layout.js';
export { saveSessionInputs, loadSessionInputs, isRecordingDir } from './inputs.js';
