// Keyboard shortcuts and the help overlay that lists them (also in docs/viewer.md). One list drives
// both, so the overlay cannot disagree with what the keys do. Keys typed into a field stay in the
// field; Escape leaves it.

export const SHORTCUTS = [
  { keys: ['f'], label: 'full screen on / off', action: 'fullscreen' },
  { keys: [' '], shown: 'Space', label: 'pause / resume the replay', action: 'pause' },
  { keys: ['m'], label: 'mark an event (label and duration from the Mark fields)', action: 'mark' },
  { keys: ['1', '2', '3', '4', '5', '6', '7', '8', '9'], shown: '1 … 9', label: 'replay speed ×1 … ×9', action: 'speed' },
  { keys: ['0'], label: 'replay as fast as possible', action: 'speed' },
  { keys: ['s'], label: 'choose the session', action: 'pick' },
  { keys: ['r'], label: 'start a replay (the start form)', action: 'start' },
  { keys: ['c'], label: 'show / hide the controls', action: 'controls' },
  { keys: ['t'], label: 'set the FD alarm threshold', action: 'threshold' },
  { keys: ['?', 'h'], shown: '? or h', label: 'this help', action: 'help' },
  { keys: ['Escape'], shown: 'Esc', label: 'close the help, leave a field', action: 'escape' },
];

/** Inputs that take no typed text: a shortcut pressed while one has focus is still a shortcut. */
const KEYLESS_INPUTS = new Set(['checkbox', 'radio', 'button', 'submit', 'reset', 'file', 'color', 'range']);

function typing(target) {
  if (!(target instanceof window.HTMLElement)) return false;
  if (target.tagName === 'INPUT') return !KEYLESS_INPUTS.has(target.type);
  // A <select> uses letters and digits to jump between its options.
  return target.isContentEditable || target.tagName === 'SELECT' || target.tagName === 'TEXTAREA';
}

/** Writes the shortcut list into the help overlay's <dl>. */
export function renderHelp(list) {
  list.replaceChildren(
    ...SHORTCUTS.flatMap(({ keys, shown, label }) => {
      const dt = document.createElement('dt');
      const kbd = document.createElement('kbd');
      kbd.textContent = shown ?? keys[0];
      dt.appendChild(kbd);
      const dd = document.createElement('dd');
      dd.textContent = label;
      return [dt, dd];
    }),
  );
}

/** actions: {name: (key) => void}; each shortcut calls its action with the key pressed. */
export function installKeyboard(actions) {
  window.addEventListener('keydown', (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
    if (typing(event.target)) {
      if (event.key === 'Escape') event.target.blur();
      return;
    }
    const shortcut = SHORTCUTS.find((s) => s.keys.includes(event.key));
    if (!shortcut) return;
    // Space would also press the focused button; here it always means pause / resume.
    event.preventDefault();
    actions[shortcut.action]?.(event.key);
  });
}
