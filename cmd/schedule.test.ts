// schedule.test: a schedule file merges into the fault flags the same way for `run` and `sim`:
// lists join, a whole-run flag off its default wins, and a bad file is one usage error.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from './exit.js';
import { checkSchedule, formatSchedule, readSchedule, withSchedule } from './schedule.js';

t.test('lists join and a flag off its default wins', (t) => {
  const flags = { kill: ['1@2'], drop: 0, dup: 0.1, delay: undefined as string | undefined };
  const merged = withSchedule(flags, { kill: ['leader@3'], restart: ['killed@4'], drop: 0.05, dup: 0.2, delay: '5±1' });
  t.same(merged.kill, ['1@2', 'leader@3'], 'the file’s kills join the flags’');
  t.same((merged as { restart?: string[] }).restart, ['killed@4'], 'a list only the file has is taken');
  t.equal(merged.drop, 0.05, 'a flag at its default (0) takes the file’s value');
  t.equal(merged.dup, 0.1, 'a flag set on the command line wins');
  t.equal(merged.delay, '5±1', 'an absent flag takes the file’s');
  t.end();
});

t.test('a written schedule reads back the same', (t) => {
  const dir = t.testdir();
  const spec = { kill: ['leader@0.611'], restart: ['killed@2.201'], pause: [], drop: 0.01 };
  const file = join(dir, 's.json');
  writeFileSync(file, formatSchedule(spec));
  t.same(readSchedule(file), { kill: ['leader@0.611'], restart: ['killed@2.201'], drop: 0.01 }, 'empty lists are left out');
  t.end();
});

t.test('a bad schedule is a usage error naming the key', (t) => {
  const bad: [unknown, RegExp][] = [
    [[], /expected a JSON object/],
    [{ kill: 'leader@1' }, /"kill" must be a list of specs/],
    [{ drop: 0.9 }, /"drop" must be a probability/],
    [{ delay: 5 }, /"delay" must be a string/],
    [{ crash: [] }, /unknown key "crash"/],
  ];
  for (const [x, message] of bad) {
    t.throws(() => checkSchedule(x, 'f.json'), message, JSON.stringify(x));
    t.throws(() => checkSchedule(x, 'f.json'), CliError, 'as the CLI’s usage error');
  }
  t.end();
});
