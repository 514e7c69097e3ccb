// Prints the default configuration as JSON (config/defaults.json is this output; a test keeps them equal).
import { defaultConfig } from '../src/config.js';

console.log(JSON.stringify(defaultConfig(), null, 2));
