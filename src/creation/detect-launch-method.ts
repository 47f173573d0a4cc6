import type { LaunchMethod } from '../config/schema.js';
import { defaultImage } from '../util/paths.js';
import { dockerAnswers, imageExists } from './docker-client.js';

/** Docker when an engine answers and the default worker image is there, else the Python venv. */
export async function detectLaunchMethod(): Promise<LaunchMethod> {
  if ((await dockerAnswers(500)) && (await imageExists(defaultImage('Python')))) return 'docker';
  return 'python';
}
