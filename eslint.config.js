// eslint.config.js — the project's lint rules, run by `npm test` (scripts/lint.sh). Type-aware
// (typescript-eslint's project service) because the rules that matter most here need types:
// floating promises, exhaustive switches, unnecessary non-null assertions. Why ESLint and not
// Biome, and what each group guards: docs/lint.md.
import { readdirSync } from 'node:fs';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** protocols are the directories of processors/: each is one protocol and imports no other. */
const protocols = readdirSync(new URL('./processors/', import.meta.url), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);

/**
 * crossProtocolAllowed names the protocol-to-protocol imports that are deliberate, each with its
 * reason.
 */
const crossProtocolAllowed = {
  chain: {
    traft:
      "the replicated chain master (chain.md §8.1) is a TRaft group: its ranks run TRaft's core and leader lease (processors/chain/master_replicated.ts)",
  },
};

/**
 * exportedModules: the one module of a protocol every other protocol may import, with its reason.
 * Anything else in that protocol's folder stays private to it.
 */
const exportedModules = {
  traft: {
    'state_machine.js':
      "TRaft's state-machine interface: another protocol (the chain KV's master) plugs its machine into TRaft through it (docs/protocols/traft.md §3.3)",
  },
};

/** importBan builds one no-restricted-imports entry: specifiers matching regex are refused. */
function importBan(regex, message) {
  return { regex, message };
}

const up = String.raw`^(\.\./)+`;

const registryMessage =
  'the CLI knows protocols only through processors/registry.ts: a protocol is a folder plus one registry line (docs/protocols/interface.md).';

const clockMessage =
  'time and randomness are injected: use the Clock/Random of runtime/clock.ts and runtime/random.ts, so one seed replays a run (docs/lint.md).';

/** determinismSyntax: the syntax bans of determinism, repeated by any block that sets no-restricted-syntax (rules replace, not merge). */
const determinismSyntax = [
  { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: clockMessage },
  { selector: 'ImportDeclaration[source.value=/^(node:)?timers(\\u002Fpromises)?$/]', message: clockMessage },
];

const boundaries = [
  {
    files: ['runtime/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            importBan(
              `${up}(processors|cmd|check)(/|$)`,
              'runtime/ knows protocols only through its interfaces; it imports no protocol, no cmd/ and no check/ (docs/lint.md).',
            ),
          ],
        },
      ],
    },
  },
  {
    files: ['check/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            importBan(
              `${up}(processors|cmd)(/|$)`,
              'check/ grades runs from their logs alone; it imports nothing from processors/ or cmd/ (docs/lint.md).',
            ),
          ],
        },
      ],
    },
  },
  {
    files: ['processors/*.ts'],
    // The registry is the one module that names protocols.
    ignores: ['processors/registry.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            importBan(`${up}cmd(/|$)`, 'processors/ never imports the CLI (docs/lint.md).'),
            importBan(
              `^\\./(${protocols.join('|')})/`,
              'the shared processors/ modules serve every protocol and import none (docs/lint.md).',
            ),
          ],
        },
      ],
    },
  },
  {
    files: ['processors/registry.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [importBan(`${up}cmd(/|$)`, 'processors/ never imports the CLI (docs/lint.md).')] }],
    },
  },
  ...protocols.map((protocol) => {
    const allowed = Object.keys(crossProtocolAllowed[protocol] ?? {});
    const others = protocols.filter((p) => p !== protocol && !allowed.includes(p));
    const patterns = [importBan(`${up}cmd(/|$)`, 'processors/ never imports the CLI (docs/lint.md).')];
    if (others.length > 0) {
      const exported = others.flatMap((p) => Object.keys(exportedModules[p] ?? {}).map((f) => `${p}/${f.replace('.', '\\.')}$`));
      const except = exported.length > 0 ? `(?!(${exported.join('|')}))` : '';
      patterns.push(
        importBan(
          `${up}${except}(${others.join('|')})/`,
          `processors/${protocol} imports no other protocol; a deliberate exception is named in crossProtocolAllowed in eslint.config.js with its reason.`,
        ),
      );
    }
    return { files: [`processors/${protocol}/**/*.ts`], rules: { 'no-restricted-imports': ['error', { patterns }] } };
  }),
  {
    // The CLI and the scripts know protocols only through the registry; their tests may reach in.
    files: ['cmd/**/*.ts', 'scripts/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [importBan(`${up}processors/(?!registry\\.js$)`, registryMessage)] }],
    },
  },
  {
    // ... and no dynamic import() of a protocol either (no-restricted-imports sees only static ones).
    files: ['cmd/**/*.ts'],
    ignores: ['**/*.test.ts', 'cmd/testing/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        ...determinismSyntax,
        { selector: 'ImportExpression[source.value=/processors\\u002F(?!registry)/]', message: registryMessage },
      ],
    },
  },
];

const determinism = {
  files: ['**/*.ts'],
  ignores: [
    // The real implementations of the injected Clock and Random.
    'runtime/clock.ts',
    'runtime/random.ts',
    // The real clock's tests compare it with the platform APIs it wraps (and fake them).
    'runtime/clock.test.ts',
    // The test harness drives real OS processes: it times out hung children and picks a random
    // port base so concurrent tap workers do not collide. Nothing there is replayed.
    'cmd/testing/**',
    // Benchmarks measure wall-clock time by definition.
    'scripts/bench/**',
  ],
  rules: {
    'no-restricted-properties': [
      'error',
      { object: 'Date', property: 'now', message: clockMessage },
      { object: 'Math', property: 'random', message: clockMessage },
      { object: 'performance', property: 'now', message: clockMessage },
      { object: 'process', property: 'hrtime', message: clockMessage },
      { object: 'globalThis', property: 'setTimeout', message: clockMessage },
      { object: 'globalThis', property: 'setInterval', message: clockMessage },
    ],
    'no-restricted-globals': ['error', { name: 'setTimeout', message: clockMessage }, { name: 'setInterval', message: clockMessage }],
    'no-restricted-syntax': ['error', ...determinismSyntax],
  },
};

export default tseslint.config(
  // .tap/: tap's fixtures and coverage, written while the lint runs beside the tests (scripts/test.sh).
  { ignores: ['dist/**', 'node_modules/**', '.tap/**', '**/*.js', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A promise nobody awaits loses its error. tap's t.test() promises are awaited by tap itself.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafePromises: [{ from: 'package', name: 'PromiseWithSubtest', package: '@tapjs/core' }] },
      ],
      // Every switch over a union handles each member, ending in runtime/assert.ts's assertNever.
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { requireDefaultForNonUnion: false, considerDefaultExhaustiveForUnions: false },
      ],
      '@typescript-eslint/no-unnecessary-type-assertion': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // async without await is how tap callbacks and processor loops are written; not a bug here.
      '@typescript-eslint/require-await': 'off',
      'no-restricted-imports': 'off',
    },
  },
  {
    files: ['runtime/**/*.ts', 'processors/**/*.ts', 'cmd/**/*.ts', 'check/**/*.ts'],
    ignores: ['**/*.test.ts', 'cmd/testing/**'],
    rules: {
      // Outside tests a `!` must say which invariant makes it safe: an eslint-disable comment
      // with the reason, or an assertion (runtime/assert.ts) that fails loudly instead.
      '@typescript-eslint/no-non-null-assertion': 'error',
      // Functions fit on one screen (docs/lint.md); tests are scripts and may run longer.
      'max-lines-per-function': ['error', { max: 70, skipBlankLines: true, skipComments: true }],
    },
  },
  determinism,
  ...boundaries,
);
