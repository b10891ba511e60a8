import type { Command } from 'commander';
import { EXIT, TmError } from '../../errors.js';
import type { Context } from '../context.js';
import { buildProgram } from '../program.js';

const SERVICE_COMMANDS = ['up', 'down', 'status', 'restart', 'logs', 'health'];
const RENDER_TARGETS = ['compose', 'env-example', 'dockerfile', 'dockerignore', 'github-actions', 'schema', 'k8s'];

export async function run(ctx: Context, opts: Record<string, unknown>, args: string[]): Promise<void> {
  if (opts.services) {
    // Called by the scripts at completion time: quiet, and nothing when there is no config.
    const names = await ctx.config().then((c) => c.services.map((s) => s.name), () => []);
    ctx.out.result({ services: names }, () => names.join('\n'), { reveal: true });
    return;
  }
  const shell = args[0] ?? 'bash';
  const program = buildProgram('0', () => () => undefined, () => undefined);
  const script = shell === 'bash' ? bash(program) : shell === 'zsh' ? `autoload -U +X bashcompinit && bashcompinit\n${bash(program)}` : shell === 'fish' ? fish(program) : undefined;
  if (!script) throw new TmError('TM_USAGE', `no completion for "${shell}"`, { exit: EXIT.usage, hint: 'tm completion bash|zsh|fish' });
  ctx.out.result({ shell, script }, () => script, { reveal: true });
}

const names = (cmd: Command) => cmd.commands.filter((c) => c.name() !== 'help').map((c) => c.name());
const flags = (cmd: Command) => [...cmd.options, ...(cmd.parent?.options ?? [])].flatMap((o) => [o.long, o.short]).filter((f): f is string => Boolean(f));

function bash(program: Command): string {
  const top = names(program);
  const groups = program.commands.filter((c) => c.commands.length > 0);
  const optionCases = program.commands
    .filter((c) => c.commands.length === 0)
    .map((c) => `    ${c.name()}) opts="${flags(c).join(' ')}" ;;`)
    .join('\n');
  return `# tm completion for bash (source it, or add it to ~/.bashrc)
_tm_complete() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" cmd="\${COMP_WORDS[1]}" opts=""
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "${top.join(' ')}" -- "$cur")); return
  fi
  case "$cmd" in
${groups.map((g) => `    ${g.name()}) if [ "$COMP_CWORD" -eq 2 ]; then COMPREPLY=($(compgen -W "${names(g).join(' ')}" -- "$cur")); return; fi ;;`).join('\n')}
  esac
  case "$cmd" in
${optionCases}
  esac
  if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "$opts" -- "$cur")); return; fi
  case "$cmd" in
    ${SERVICE_COMMANDS.join('|')}) COMPREPLY=($(compgen -W "$("\${COMP_WORDS[0]}" completion --services 2>/dev/null)" -- "$cur")) ;;
    render) COMPREPLY=($(compgen -W "${RENDER_TARGETS.join(' ')}" -- "$cur")) ;;
    completion) COMPREPLY=($(compgen -W "bash zsh fish" -- "$cur")) ;;
  esac
}
complete -F _tm_complete tm taskmaster
`;
}

function fish(program: Command): string {
  const lines = ['# tm completion for fish (save as ~/.config/fish/completions/tm.fish)'];
  for (const c of program.commands.filter((x) => x.name() !== 'help')) {
    lines.push(`complete -c tm -f -n '__fish_use_subcommand' -a ${c.name()} -d ${JSON.stringify(c.description().slice(0, 60))}`);
    for (const sub of names(c)) lines.push(`complete -c tm -f -n '__fish_seen_subcommand_from ${c.name()}' -a ${sub}`);
  }
  lines.push(`complete -c tm -f -n '__fish_seen_subcommand_from ${SERVICE_COMMANDS.join(' ')}' -a '(tm completion --services 2>/dev/null)'`);
  lines.push(`complete -c tm -f -n '__fish_seen_subcommand_from render' -a '${RENDER_TARGETS.join(' ')}'`);
  return lines.join('\n') + '\n';
}
