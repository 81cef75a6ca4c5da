import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';

/**
 * A password for `users passwd`: the first line of stdin when it is piped (scripts, the
 * console's first admin), else a prompt on the terminal that does not echo, asked twice.
 */
export async function readSecret(
  prompt: string,
  input: NodeJS.ReadableStream & { isTTY?: boolean } = process.stdin,
  err: NodeJS.WritableStream = process.stderr,
): Promise<string> {
  if (!input.isTTY) {
    let text = '';
    for await (const chunk of input) text += String(chunk);
    return text.split(/\r?\n/)[0] ?? '';
  }
  const first = await ask(prompt, input, err);
  const again = await ask('again: ', input, err);
  if (first !== again) throw new Error('the two passwords differ');
  return first;
}

function ask(prompt: string, input: NodeJS.ReadableStream, err: NodeJS.WritableStream): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk, _encoding, done) {
      if (!muted) err.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input, output, terminal: true });
  return new Promise((resolve) => {
    rl.question(prompt, (answer) => {
      rl.close();
      err.write('\n');
      resolve(answer);
    });
    muted = true;
  });
}
