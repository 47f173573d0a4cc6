import type Docker from 'dockerode';

/**
 * Pulls one image through the Docker engine with a progress callback (layers done and bytes downloaded).
 * Used by `dh-mcp setup docker`; public images need no credentials.
 */
interface PullEvent {
  id?: string;
  status?: string;
  error?: string;
  progressDetail?: { current?: number; total?: number };
}

export function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(2)} GB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${Math.round(n / 1024)} kB`;
}

export async function pullImage(
  docker: Docker,
  image: string,
  onProgress: (message: string) => void,
  signal?: AbortSignal,
): Promise<void> {
  const stream = (await docker.pull(image)) as NodeJS.ReadableStream;
  const layers = new Map<string, { current: number; total: number; done: boolean }>();
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      (stream as unknown as { destroy?: () => void }).destroy?.();
      reject(signal?.reason instanceof Error ? signal.reason : new Error('pull cancelled'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    docker.modem.followProgress(
      stream,
      (err: Error | null) => {
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve();
      },
      (e: PullEvent) => {
        if (e.error) return;
        // Only layer events: "Pulling from <repo>" carries the tag as its id.
        if (!e.id || !e.status || /^(Pulling from|Digest:|Status:)/.test(e.status)) return;
        const l = layers.get(e.id) ?? { current: 0, total: 0, done: false };
        if (e.status === 'Downloading') {
          l.current = e.progressDetail?.current ?? l.current;
          l.total = e.progressDetail?.total ?? l.total;
        } else if (/^(Pull complete|Already exists|Download complete)$/.test(e.status)) {
          l.done = e.status !== 'Download complete' || l.done;
          l.current = l.total || l.current;
        }
        layers.set(e.id, l);
        const bytes = [...layers.values()].reduce((s, x) => s + x.current, 0);
        const total = [...layers.values()].reduce((s, x) => s + x.total, 0);
        const done = [...layers.values()].filter((x) => x.done).length;
        onProgress(
          `pulling ${image}: ${done}/${layers.size} layers, ${formatBytes(bytes)}${total ? ` of ${formatBytes(total)}` : ''}`,
        );
      },
    );
  });
}
