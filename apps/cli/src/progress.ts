// Progress on stderr for runs longer than a second: a bar on a TTY, a few plain lines otherwise.
// Never on stdout, so `--json -` output stays clean.

import cliProgress from "cli-progress";

export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

export function createProgress(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  const startedAt = Date.now();
  let bar: cliProgress.SingleBar | undefined;
  let lastLineAt = 0;
  let lastPercent = -1;
  return {
    update(done, total) {
      const now = Date.now();
      if (now - startedAt < 1000) return;
      const percent = total > 0 ? Math.floor((done / total) * 100) : 0;
      if (stream.isTTY) {
        if (!bar) {
          bar = new cliProgress.SingleBar({ format: `${label} [{bar}] {percentage}% · {duration_formatted}`, stream, hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic);
          bar.start(100, percent);
        }
        bar.update(percent);
      } else if (now - lastLineAt > 5000 && percent !== lastPercent) {
        stream.write(`${label}: ${percent}%\n`);
        lastLineAt = now;
        lastPercent = percent;
      }
    },
    stop() {
      bar?.stop();
    },
  };
}
