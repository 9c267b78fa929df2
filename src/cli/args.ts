/** Command-line parsing for `nextscale` (node:util parseArgs, strict numbers, one usage error type). */
import { parseArgs } from 'node:util';
import { UsageError } from '../api/errors';

export const USAGE = `nextscale — next-scale image generation on WebGPU (Node, through the npm "webgpu" package) or the CPU (wasm)

Usage:
  nextscale generate --prompt "<text>" --out <file.png> [options]
  nextscale caption --image <file.png> [--model <dir|url>] [--seed <n>] [--question "<text>"]
  nextscale chat --out <dir> [--model <dir|url>] [--seed <n>] [--attach <turn>:<file>]… "<message 1>" "<message 2>" …
  nextscale convert --var <var_dN.pth> --vae <vae_ch160v4096z32.pth> --out <dir> [--dtype f16|int8]
  nextscale encode-text --model <t5 folder> --ids 1,2,3 --out <features.safetensors>
  nextscale --help

Options for generate:
  --model <dir|url>   model folder with manifest.json (default: the bundled models/nextscale-tiny), or an
                      official checkpoint as published, converted on the fly: VAR (var_d16.pth, a path or
                      URL, or hf:FoundationVision/var/var_d16.pth) or Infinity (infinity_125M_256x256.pth)
  --vae <file|url>    with a .pth model: its VAE (default beside it: vae_ch160v4096z32.pth for VAR,
                      infinity_vae_d32reg.pth for Infinity)
  --prompt <text>     what the image shows (text-conditioned models)
  --class <0-999>     class label instead of a prompt (VAR models)
  --text-features <f> Infinity: the prompt's text features instead of a prompt, a .safetensors file with one
                      f32 tensor "features" [L, text width] (the T5 encoder's last hidden state, EOS included)
  --resolution <n>    Infinity: 256 (default), 512, 768 or 1024, the official schedules
  --aspect <w:h>      Infinity: the image's aspect, e.g. 1:1 (default), 16:9, 3:4; the nearest official one
  --dtype <d>         with a .pth model: how the conversion stores the weights: f16, int8, or f32 (Infinity's
                      default keeps the files' precision; VAR's is f16)
  --seed <n>          u32 seed; the same seed, options and model give the same image (default: random)
  --cfg <x>           classifier-free guidance scale (default: the model's)
  --top-k <n>         keep the k most likely codes, 0 = off (default: the model's)
  --top-p <x>         nucleus mass in (0, 1], 1 = off (default: the model's)
  --temperature <x>   0 = greedy (default: the model's)
  --tau <x>           Infinity's name for the temperature (logits / τ; default 0.5)
  --device <d>        auto (default: WebGPU on a real GPU, the CPU otherwise), webgpu, or wasm (the CPU)
  --out <file.png>    where to write the final image
  --tokens <file>     also write the sampled codes: {"scales": [[code, ...], ...]}, row-major per scale
                      (Infinity: each token's bits packed into one integer, bit i of the code = bit i)
  --previews <dir>    also write each scale's preview as <dir>/scale-<i>.png
  --quiet             print nothing but errors
  -h, --help          this text

Options for caption (what the chat model says about an image; printed to stdout):
  --image <file.png>  the image (8-bit PNG); center-cropped and resized to the model's input size
  --question <text>   what to ask (default: "what is in this image ?")
  --model, --seed, --temperature, --device, --quiet as above (--temperature applies to the words, default greedy)

Options for convert (the official VAR checkpoints as published → a model folder; no Python needed):
  --var <var_dN.pth>  the transformer; its depth comes from its keys
  --vae <vae.pth>     the VQVAE (vae_ch160v4096z32.pth)
  --out <dir>         writes config.json, model-0000N.safetensors and manifest.json
  --dtype f16|int8    weights storage (default f16; int8 keeps per-row scales)
  --name <name>       the model's name (default var-d<depth>)
  --patch-nums <list> another scale schedule than pos_1LC implies, e.g. 1,2,3,4

Options for encode-text (a T5 encoder's last hidden state, for Infinity's --text-features; runs on the CPU):
  --model <dir>       a T5 encoder folder as the hub publishes it (config.json, model.safetensors or its shards
                      with model.safetensors.index.json); only the encoder's tensors are read
  --ids <list>        the token ids, used exactly as given (no EOS appended)
  --prompt <text>     not yet: T5's tokenizer is the next step (pass --ids)
  --out <file>        writes features [L, d_model] f32 and ids [L] i32 (safetensors)

Options for chat (the messages are sent in order as one conversation; the transcript and images go to --out):
  --out <dir>         writes <dir>/transcript.json and <dir>/turn-<t>-image-<i>.png
  --attach <t>:<file> attach an image (PNG, JPEG, WebP or GIF) to message t (1-based); repeatable
  --seed <n>          u32 seed of the first reply; reply t uses seed n + t − 1 (default: random)
  --device <d>        auto (default), webgpu or wasm
  --context <n>       use at most n tokens of the model's context (default: all of it)
  --model, --temperature, --quiet as above. Older turns that no longer fit the model's context are
  left out (the README's context policy); each time, a line on stderr says which.

Errors print one line "nextscale: E_CODE: message" on stderr (the README's "Failure modes" lists the codes).
Exit codes: 0 ok; 1 bad input or a bad model (usage, prompt, image, corrupt or mismatched model files);
2 the environment (no WebGPU, a lost or full GPU, a dropped download, full storage); 130 cancelled (Ctrl-C).

Example:
  npx nextscale generate --prompt "a large red circle in the center on a blue background" --seed 7 --out circle.png`;

export interface GenerateArgs {
  command: 'generate';
  model?: string;
  prompt?: string;
  classLabel?: number;
  seed?: number;
  cfg?: number;
  topK?: number;
  topP?: number;
  temperature?: number;
  out: string;
  tokens?: string;
  previews?: string;
  /** With a .pth --model: the VAE checkpoint (default: vae_ch160v4096z32.pth beside it), and another scale schedule. */
  vae?: string;
  patchNums?: number[];
  /** Infinity: a .safetensors file with the prompt's text features, the resolution class and the aspect. */
  textFeatures?: string;
  resolution?: number;
  aspect?: string;
  /** With a .pth --model: the conversion's storage dtype. */
  dtype?: 'f16' | 'int8' | 'f32';
  device: CliDevice;
  quiet: boolean;
}

export interface CaptionArgs {
  command: 'caption';
  model?: string;
  device: CliDevice;
  image: string;
  question: string;
  seed?: number;
  temperature?: number;
  quiet: boolean;
}

export const DEFAULT_QUESTION = 'what is in this image ?';

export interface ChatArgs {
  command: 'chat';
  model?: string;
  seed?: number;
  temperature?: number;
  device: CliDevice;
  /** --context: use at most this many tokens of the model's context. */
  context?: number;
  /** Images attached to messages: turn is 1-based. */
  attach: Array<{ turn: number; file: string }>;
  out: string;
  messages: string[];
  quiet: boolean;
}

export interface ConvertArgs {
  command: 'convert';
  var: string;
  vae: string;
  out: string;
  dtype: 'f16' | 'int8';
  name?: string;
  patchNums?: number[];
  quiet: boolean;
}

export interface EncodeTextArgs {
  command: 'encode-text';
  /** A T5 encoder folder as the hub publishes it. */
  model: string;
  ids?: number[];
  prompt?: string;
  out: string;
  quiet: boolean;
}

export type CliArgs = GenerateArgs | CaptionArgs | ChatArgs | ConvertArgs | EncodeTextArgs | { command: 'help' };

/** The backends `--device` names (the engine's `device` option). */
export const DEVICES = ['auto', 'webgpu', 'wasm'] as const;
export type CliDevice = (typeof DEVICES)[number];

function deviceArg(v: Record<string, unknown>): CliDevice {
  const device = (v.device ?? 'auto') as string;
  if (!(DEVICES as readonly string[]).includes(device)) throw new UsageError(`--device must be one of ${DEVICES.join(', ')}; got "${device}"`);
  return device as CliDevice;
}

function num(name: string, v: string | undefined, opts: { integer?: boolean; min?: number; max?: number } = {}): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  const bad =
    v.trim() === '' || !Number.isFinite(n) || (opts.integer && !Number.isInteger(n)) ||
    (opts.min !== undefined && n < opts.min) || (opts.max !== undefined && n > opts.max);
  if (bad) {
    const range = opts.min !== undefined && opts.max !== undefined ? ` in [${opts.min}, ${opts.max}]` : opts.min !== undefined ? ` ≥ ${opts.min}` : '';
    throw new UsageError(`--${name} must be ${opts.integer ? 'an integer' : 'a number'}${range}; got "${v}"`);
  }
  return n;
}

const OPTIONS = {
  model: { type: 'string' },
  prompt: { type: 'string' },
  class: { type: 'string' },
  seed: { type: 'string' },
  cfg: { type: 'string' },
  'top-k': { type: 'string' },
  'top-p': { type: 'string' },
  temperature: { type: 'string' },
  tau: { type: 'string' },
  out: { type: 'string', short: 'o' },
  tokens: { type: 'string' },
  previews: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  image: { type: 'string' },
  question: { type: 'string' },
  attach: { type: 'string', multiple: true },
  device: { type: 'string' },
  context: { type: 'string' },
  var: { type: 'string' },
  vae: { type: 'string' },
  dtype: { type: 'string' },
  name: { type: 'string' },
  'patch-nums': { type: 'string' },
  'text-features': { type: 'string' },
  ids: { type: 'string' },
  resolution: { type: 'string' },
  aspect: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** `--seed -1` reads like `--seed=-1` (node's parser would take "-1" for an option and say "ambiguous"). */
function joinNegativeValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = /^--([\w-]+)$/.exec(argv[i])?.[1];
    const spec = name ? (OPTIONS as Record<string, { type: string }>)[name] : undefined;
    if (spec?.type === 'string' && i + 1 < argv.length && /^-\d/.test(argv[i + 1])) out.push(`${argv[i]}=${argv[++i]}`);
    else out.push(argv[i]);
  }
  return out;
}

export function parseCli(argv: string[]): CliArgs {
  let parsed;
  try {
    parsed = parseArgs({ args: joinNegativeValues(argv), allowPositionals: true, options: OPTIONS });
  } catch (e) {
    const err = e as { code?: string; message: string };
    const known = Object.keys(OPTIONS).map((o) => `--${o}`).join(', ');
    const unknown = /Unknown option '([^']+)'/.exec(err.message)?.[1];
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown) throw new UsageError(`unknown option ${unknown}; the options are ${known}`);
    throw new UsageError(err.message.split('\n')[0]);
  }
  const { values: v, positionals } = parsed;
  if (v.help || positionals[0] === 'help' || (positionals.length === 0 && Object.keys(v).length === 0)) return { command: 'help' };
  if (positionals[0] === 'caption') {
    if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}" (quote a question with spaces)`);
    if (!v.image) throw new UsageError('--image <file.png> is required');
    return {
      command: 'caption',
      model: v.model,
      image: v.image,
      question: v.question ?? DEFAULT_QUESTION,
      seed: num('seed', v.seed, { integer: true, min: 0, max: 0xffffffff }),
      temperature: num('temperature', v.temperature, { min: 0 }),
      device: deviceArg(v),
      quiet: !!v.quiet,
    };
  }
  if (positionals[0] === 'chat') return chatArgs(v, positionals.slice(1));
  if (positionals[0] === 'convert') return convertArgs(v);
  if (positionals[0] === 'encode-text') return encodeTextArgs(v);
  if (positionals[0] !== 'generate') throw new UsageError(positionals[0] ? `unknown command "${positionals[0]}"` : 'missing the command (generate, caption, chat or convert)');
  if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}" (quote a prompt with spaces)`);
  if (!v.out) throw new UsageError('--out <file.png> is required');
  const given = [v.prompt !== undefined && '--prompt', v.class !== undefined && '--class', v['text-features'] !== undefined && '--text-features'].filter(Boolean);
  if (!given.length) throw new UsageError('give --prompt "<text>" (or --class <0-999> for class-conditioned models, --text-features <file> for Infinity)');
  if (given.length > 1) throw new UsageError(`give one of --prompt, --class and --text-features, not ${given.join(' and ')}`);
  const dtype = v.dtype as string | undefined;
  if (dtype !== undefined && !['f16', 'int8', 'f32'].includes(dtype)) throw new UsageError(`--dtype must be f16, int8 or f32; got "${dtype}"`);
  return {
    command: 'generate',
    model: v.model,
    prompt: v.prompt,
    classLabel: num('class', v.class, { integer: true, min: 0, max: 999 }),
    seed: num('seed', v.seed, { integer: true, min: 0, max: 0xffffffff }),
    cfg: num('cfg', v.cfg, { min: 0 }),
    topK: num('top-k', v['top-k'], { integer: true, min: 0 }),
    topP: num('top-p', v['top-p'], { min: 0, max: 1 }),
    temperature: tauOrTemperature(v),
    out: v.out,
    tokens: v.tokens,
    previews: v.previews,
    vae: typeof v.vae === 'string' ? v.vae : undefined,
    textFeatures: v['text-features'] as string | undefined,
    resolution: num('resolution', v.resolution as string | undefined, { integer: true, min: 1 }),
    aspect: v.aspect as string | undefined,
    dtype: dtype as GenerateArgs['dtype'],
    patchNums: (v['patch-nums'] as string | undefined)?.split(',').map((x) => num('patch-nums', x.trim(), { integer: true, min: 1 })!),
    device: deviceArg(v),
    quiet: !!v.quiet,
  };
}

/** --tau is Infinity's name for the temperature; giving both is ambiguous. */
function tauOrTemperature(v: Record<string, string | boolean | string[] | undefined>): number | undefined {
  if (v.tau !== undefined && v.temperature !== undefined) throw new UsageError('give --tau or --temperature, not both (they are the same setting)');
  return v.tau !== undefined ? num('tau', v.tau as string, { min: 0 }) : num('temperature', v.temperature as string | undefined, { min: 0 });
}

function encodeTextArgs(v: Record<string, string | boolean | string[] | undefined>): EncodeTextArgs {
  const ex = 'nextscale encode-text --model flan-t5-xl/ --ids 3,9,1 --out f.safetensors';
  for (const o of ['model', 'out'] as const) if (typeof v[o] !== 'string' || !v[o]) throw new UsageError(`--${o} is required (${ex})`);
  if ((v.ids === undefined) === (v.prompt === undefined)) throw new UsageError(`give one of --ids and --prompt (${ex})`);
  const ids = (v.ids as string | undefined)?.split(',').map((x) => num('ids', x.trim(), { integer: true, min: 0 })!);
  if (ids && !ids.length) throw new UsageError('--ids needs at least one token id');
  return { command: 'encode-text', model: v.model as string, ids, prompt: v.prompt as string | undefined, out: v.out as string, quiet: !!v.quiet };
}

function convertArgs(v: Record<string, string | boolean | string[] | undefined>): ConvertArgs {
  for (const o of ['var', 'vae', 'out'] as const) if (typeof v[o] !== 'string' || !v[o]) throw new UsageError(`--${o} is required (nextscale convert --var var_d16.pth --vae vae_ch160v4096z32.pth --out models/var-d16)`);
  const dtype = (v.dtype ?? 'f16') as string;
  if (dtype !== 'f16' && dtype !== 'int8') throw new UsageError(`--dtype must be f16 or int8; got "${dtype}"`);
  const pn = v['patch-nums'] as string | undefined;
  const patchNums = pn?.split(',').map((x) => num('patch-nums', x.trim(), { integer: true, min: 1 })!);
  return { command: 'convert', var: v.var as string, vae: v.vae as string, out: v.out as string, dtype, name: v.name as string | undefined, patchNums, quiet: !!v.quiet };
}

function chatArgs(v: Record<string, string | boolean | string[] | undefined>, messages: string[]): ChatArgs {
  if (!v.out || typeof v.out !== 'string') throw new UsageError('--out <dir> is required (the transcript and images are written there)');
  if (!messages.length) throw new UsageError('give at least one message, e.g. nextscale chat --out chat/ "draw a red circle"');
  const device = deviceArg(v);
  const attach = ((v.attach as string[] | undefined) ?? []).map((a) => {
    const m = /^(\d+):(.+)$/.exec(a);
    const turn = m ? Number(m[1]) : NaN;
    if (!m || !Number.isInteger(turn) || turn < 1 || turn > messages.length) {
      throw new UsageError(`--attach takes <turn>:<file> with turn in 1..${messages.length} (the messages given); got "${a}"`);
    }
    return { turn, file: m[2] };
  });
  return {
    command: 'chat',
    model: v.model as string | undefined,
    seed: num('seed', v.seed as string | undefined, { integer: true, min: 0, max: 0xffffffff }),
    temperature: num('temperature', v.temperature as string | undefined, { min: 0 }),
    device,
    context: num('context', v.context as string | undefined, { integer: true, min: 2 }),
    attach,
    out: v.out,
    messages,
    quiet: !!v.quiet,
  };
}
