import Docker from 'dockerode';

let client: Docker | undefined;

/**
 * The Docker client. API paths stay unversioned, so the daemon answers with its own version (Debian's 20.10
 * engine speaks 1.41 at most and refuses newer clients that pin a version).
 */
export function dockerClient(): Docker {
  client ??= new Docker();
  return client;
}

/** True when an engine answers within the deadline. Never throws. */
export async function dockerAnswers(timeoutMs = 1000): Promise<boolean> {
  try {
    await Promise.race([
      dockerClient().ping(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), timeoutMs).unref()),
    ]);
    return true;
  } catch {
    return false;
  }
}

export async function imageExists(image: string): Promise<boolean> {
  try {
    await dockerClient().getImage(image).inspect();
    return true;
  } catch {
    return false;
  }
}
