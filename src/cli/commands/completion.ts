import type { CommandUnknownOpts as Command, Option } from '@commander-js/extra-typings';
import { EXIT, TmError } from '../../errors.js';
import type { Context } from '../context.js';
import { buildProgram } from '../program.js';

const SERVICE_COMMANDS = ['up', 'down', 'status', 'restart', 'logs', 'health', 'exec', 'shell', 'open'];
const SHELLS = ['bash', 'zsh', 'fish'];

/** What the scripts are made from: the program's commands and options, and the render targets. */
interface Model {
  program: Command;
  renderTargets: string[];
}

/** The options of `tm completion`. */
export type CompletionFlags = { services?: boolean };

export async function run(ctx: Context, opts: CompletionFlags, args: string[]): Promise<void> {
  if (opts.services) {
    // Called by the scripts at completion time: quiet, and nothing when there is no config.
    const names = await ctx.config().then(
      (c) => c.services.map((s) => s.name),
      () => [],
    );
    ctx.out.result({ services: names }, () => names.join('\n'), { reveal: true });
    return;
  }
  const shell = args[0] ?? 'bash';
  // Only here, not for --services (run at every Tab): the render module loads yaml and zod.
  const { TARGETS } = await import('../../render/targets.js');
  const model = {
    program: buildProgram(
      '0',
      () => () => undefined,
      () => undefined,
    ),
    renderTargets: [...TARGETS, 'k8s'],
  };
  const script = shell === 'bash' ? bash(model) : shell === 'zsh' ? zsh(model) : shell === 'fish' ? fish(model) : undefined;
  if (!script) throw new TmError('TM_USAGE', `no completion for "${shell}"`, { exit: EXIT.usage, hint: 'tm completion bash|zsh|fish' });
  ctx.out.result({ shell, script }, () => script, { reveal: true });
}

const visible = (cmd: Command) => cmd.commands.filter((c) => c.name() !== 'help');
const names = (cmd: Command) => visible(cmd).map((c) => c.name());
const shown = (cmd: Command) => cmd.options.filter((o) => !o.hidden);
const flags = (options: readonly Option[]) => options.flatMap((o) => [o.long, o.short]).filter((f): f is string => Boolean(f));
const takesValue = (o: Option) => o.required || o.optional;
/** Flags of the global options that take a value: the word after them is not a command. */
const valueFlags = (program: Command) => flags(program.options.filter(takesValue));
/** Every command that takes options: `up`, `db migrate`... with its own options. */
function leaves(program: Command): { path: string; cmd: Command }[] {
  return visible(program).flatMap((c) =>
    c.commands.length > 0 ? visible(c).map((s) => ({ path: `${c.name()} ${s.name()}`, cmd: s })) : [{ path: c.name(), cmd: c }],
  );
}

function bash({ program, renderTargets }: Model): string {
  const groups = visible(program).filter((c) => c.commands.length > 0);
  const global = flags(shown(program));
  return (
    `# tm completion for bash (source it, or add it to ~/.bashrc)
_tm_complete() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" cmd="" sub="" opts="" w i=1
  local -a project=()
  # The command and its subcommand, skipping global options (and the value of ${valueFlags(program).join(' ')}).
  while [ "$i" -lt "$COMP_CWORD" ]; do
    w="\${COMP_WORDS[i]}"
    case "$w" in
      ${valueFlags(program).join('|')}) project+=("$w" "\${COMP_WORDS[i+1]}"); i=$((i+1)) ;;
      -*) ;;
      *) if [ -z "$cmd" ]; then cmd="$w"; elif [ -z "$sub" ]; then sub="$w"; fi ;;
    esac
    i=$((i+1))
  done
  case "$prev" in
${program.options
  .filter(takesValue)
  .map((o) => `    ${flags([o]).join('|')}) COMPREPLY=($(compgen ${/<dir>/.test(o.flags) ? '-d' : '-f'} -- "$cur")); return ;;`)
  .join('\n')}
  esac
  if [ -z "$cmd" ]; then
    if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "${global.join(' ')}" -- "$cur")); ` +
    `else COMPREPLY=($(compgen -W "${names(program).join(' ')}" -- "$cur")); fi
    return
  fi
  local key="$cmd"
  case "$cmd" in
${groups
  .map(
    (g) =>
      `    ${g.name()}) if [ -z "$sub" ] && [[ "$cur" != -* ]]; ` +
      `then COMPREPLY=($(compgen -W "${names(g).join(' ')}" -- "$cur")); return; fi; key="$cmd $sub" ;;`,
  )
  .join('\n')}
  esac
  case "$key" in
${leaves(program)
  .map((l) => `    "${l.path}") opts="${flags(shown(l.cmd)).join(' ')}" ;;`)
  .join('\n')}
  esac
  if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "$opts ${global.join(' ')}" -- "$cur")); return; fi
  case "$key" in
    ${SERVICE_COMMANDS.join('|')}) COMPREPLY=($(compgen -W "$("\${COMP_WORDS[0]}" "\${project[@]}" completion --services 2>/dev/null)" -- "$cur")) ;;
    render) COMPREPLY=($(compgen -W "${renderTargets.join(' ')}" -- "$cur")) ;;
    completion) COMPREPLY=($(compgen -W "${SHELLS.join(' ')}" -- "$cur")) ;;
  esac
}
complete -F _tm_complete tm taskmaster
`
  );
}

/** zsh runs the bash function through its bashcompinit layer. */
function zsh(model: Model): string {
  return `# tm completion for zsh (source it, or add it to ~/.zshrc)
(( $+functions[compdef] )) || { autoload -U +X compinit && compinit }
autoload -U +X bashcompinit && bashcompinit
${bash(model).split('\n').slice(1).join('\n')}`;
}

/** A fish single-quoted string. */
const fq = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

function fish({ program, renderTargets }: Model): string {
  const groups = visible(program)
    .filter((c) => c.commands.length > 0)
    .map((c) => c.name());
  const option = (o: Option, condition?: string) =>
    [
      'complete -c tm',
      condition ? `-n ${fq(condition)}` : '',
      o.short ? `-s ${o.short.replace(/^-/, '')}` : '',
      o.long ? `-l ${o.long.replace(/^--/, '')}` : '',
      takesValue(o) ? '-r' : '',
      `-d ${fq(o.description.slice(0, 60))}`,
    ]
      .filter(Boolean)
      .join(' ');
  const lines = [
    '# tm completion for fish (save as ~/.config/fish/completions/tm.fish)',
    '# The command being completed: "up", "db migrate"... (global options and their values skipped).',
    'function __tm_command',
    '    set -l words (commandline -opc)',
    '    set -e words[1]',
    '    set -l found',
    '    set -l skip 0',
    '    for w in $words',
    '        if test $skip = 1',
    '            set skip 0',
    '            continue',
    '        end',
    '        switch $w',
    `            case ${valueFlags(program).join(' ')}`,
    '                set skip 1',
    "            case '-*'",
    "            case '*'",
    '                set -a found $w',
    '        end',
    '    end',
    '    if test (count $found) -eq 0',
    "        echo ''",
    `    else if contains -- $found[1] ${groups.join(' ')}; and test (count $found) -ge 2`,
    '        echo "$found[1] $found[2]"',
    '    else',
    '        echo $found[1]',
    '    end',
    'end',
    '# Service names of the project being completed (following its -C / --config).',
    'function __tm_services',
    '    set -l words (commandline -opc)',
    '    set -l project',
    '    for i in (seq 2 (count $words))',
    `        if contains -- $words[$i] ${valueFlags(program).join(' ')}; and test $i -lt (count $words)`,
    '            set -a project $words[$i] $words[(math $i + 1)]',
    '        end',
    '    end',
    '    $words[1] $project completion --services 2>/dev/null',
    'end',
    'complete -c tm -f',
    ...shown(program).map((o) => option(o)),
  ];
  for (const c of visible(program)) {
    lines.push(`complete -c tm -n ${fq('test -z (__tm_command)')} -a ${c.name()} -d ${fq(c.description().slice(0, 60))}`);
    for (const sub of visible(c))
      lines.push(`complete -c tm -n ${fq(`test (__tm_command) = ${c.name()}`)} -a ${sub.name()} -d ${fq(sub.description().slice(0, 60))}`);
  }
  for (const l of leaves(program)) for (const o of shown(l.cmd)) lines.push(option(o, `test (__tm_command) = ${fq(l.path)}`));
  lines.push(`complete -c tm -n ${fq(`contains -- (__tm_command) ${SERVICE_COMMANDS.join(' ')}`)} -a '(__tm_services)'`);
  lines.push(`complete -c tm -n ${fq('test (__tm_command) = render')} -a ${fq(renderTargets.join(' '))}`);
  lines.push(`complete -c tm -n ${fq('test (__tm_command) = completion')} -a ${fq(SHELLS.join(' '))}`);
  return `${lines.join('\n')}\n`;
}
