/**
 * Progress on stderr while a worker boots: one live status line on a terminal, plain lines otherwise (CI logs).
 * stdout stays free for the connection details.
 */
export function progressLine(stream: NodeJS.WriteStream = process.stderr): {
  update(message: string): void;
  done(message?: string): void;
} {
  const live = stream.isTTY === true;
  let last = '';
  return {
    update(message) {
      if (message === last) return;
      last = message;
      if (live) stream.write(`\r\x1b[K${message}`);
      else stream.write(`${message}\n`);
    },
    done(message) {
      if (live) stream.write('\r\x1b[K');
      if (message) stream.write(`${message}\n`);
    },
  };
}
