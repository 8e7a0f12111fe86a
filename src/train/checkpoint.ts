/**
 * Checkpoints: one self-checking file per save holding the model's weights,
 * the optimizer's state (Adam moments included), where training was (step,
 * epoch, documents consumed in the epoch) and optionally the dictionary, so a
 * stopped run resumes exactly where it left off.
 *
 * File layout: the 8-byte magic `CFCKPT01`, the 64-hex-digit sha256 of the
 * rest, a uint32 (little-endian) header length, the UTF-8 JSON header, then
 * the float32 payload. Written atomically (temp file + rename).
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { CorpusflowError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import type { TrainableModel } from '../models/types.js';
import type { Optimizer } from './optimizers.js';

const MAGIC = 'CFCKPT01';
const HASH_HEX = 64;
const FILE_PATTERN = /^ckpt-(\d+)\.cfckpt$/;

/** Where training stood when the checkpoint was taken. */
export interface TrainingPosition {
  /** Optimizer steps completed. */
  step: number;
  /** The epoch in progress (1-based). */
  epoch: number;
  /** Documents of that epoch already consumed; a resumed run skips them. */
  position: number;
  /** Documents trained on in all epochs. */
  docs: number;
  /** Sum of step losses and number of steps so far in this epoch (so the resumed epoch's mean loss is the same). */
  epochLossSum: number;
  epochSteps: number;
  /** Early stopping's best monitored value and epochs without improvement. */
  best: number | null;
  wait: number;
}

interface TensorEntry {
  name: string;
  shape: number[];
  offset: number;
  length: number;
}

/** The JSON header of a checkpoint file. */
export interface CheckpointHeader extends TrainingPosition {
  format: 'corpusflow-checkpoint';
  version: 1;
  createdAt: string;
  randomState: number | null;
  optimizer: { name: string; iterations: number; learningRate: number };
  variables: TensorEntry[];
  slots: Array<TensorEntry & { variable: number; slot: string }>;
  /** `dictionary.toJSON()` when a dictionary was given. */
  dictionary?: unknown;
}

/** A checkpoint in memory: header plus the tensor values (copied out of the backend). */
export interface Checkpoint {
  header: CheckpointHeader;
  payload: Float32Array;
}

/**
 * Copy the training state into memory (synchronously, so the next step cannot change it while it is written).
 * @param model the model being trained.
 * @param optimizer its optimizer.
 * @param position where training stands.
 * @param dictionary anything with `toJSON()`, stored with the weights.
 * @return a checkpoint ready for `writeCheckpoint`.
 */
export function snapshotCheckpoint(
  model: TrainableModel<never>,
  optimizer: Optimizer,
  position: TrainingPosition,
  dictionary?: { toJSON(): unknown },
): Checkpoint {
  const trainable = model.trainableVariables();
  const all = [...trainable, ...(model.stateVariables?.() ?? [])];
  const names = model.variableNames?.() ?? all.map((v) => v.name);
  const slots = optimizer.getSlots(trainable);
  const total = all.reduce((s, v) => s + v.size, 0) + slots.reduce((s, x) => s + x.tensor.size, 0);
  const payload = new Float32Array(total);
  let offset = 0;
  const put = (t: tf.Tensor): { offset: number; length: number } => {
    const at = offset;
    payload.set(t.dataSync() as Float32Array, at);
    offset += t.size;
    return { offset: at, length: t.size };
  };
  const header: CheckpointHeader = {
    format: 'corpusflow-checkpoint',
    version: 1,
    createdAt: new Date().toISOString(),
    ...position,
    randomState: model.randomState?.() ?? null,
    optimizer: { name: optimizer.name, iterations: optimizer.iterations, learningRate: optimizer.learningRate },
    variables: all.map((v, i) => ({ name: names[i] ?? v.name, shape: v.shape, ...put(v) })),
    slots: slots.map((s) => ({ name: `${names[s.variable] ?? s.variable}/${s.slot}`, variable: s.variable, slot: s.slot, shape: s.tensor.shape, ...put(s.tensor) })),
  };
  if (dictionary) header.dictionary = dictionary.toJSON();
  return { header, payload };
}

/** Serialise a checkpoint to the file layout described at the top of this module. */
export function encodeCheckpoint(checkpoint: Checkpoint): Uint8Array {
  const header = Buffer.from(JSON.stringify(checkpoint.header), 'utf8');
  const body = Buffer.alloc(4 + header.length + checkpoint.payload.byteLength);
  body.writeUInt32LE(header.length, 0);
  header.copy(body, 4);
  Buffer.from(checkpoint.payload.buffer, checkpoint.payload.byteOffset, checkpoint.payload.byteLength).copy(body, 4 + header.length);
  const hash = createHash('sha256').update(body).digest('hex');
  return Buffer.concat([Buffer.from(MAGIC + hash, 'latin1'), body]);
}

/**
 * Parse and verify a checkpoint file's bytes.
 * @throws CorpusflowError CHECKPOINT_CORRUPT when the magic, checksum or header is wrong.
 */
export function decodeCheckpoint(bytes: Uint8Array, file?: string): Checkpoint {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const corrupt = (reason: string, byte?: number) =>
    new CorpusflowError('CHECKPOINT_CORRUPT', reason, {
      position: { ...(file !== undefined ? { file } : {}), ...(byte !== undefined ? { byte } : {}) },
      hint: 'resume from an earlier checkpoint, or start afresh',
    });
  if (buf.length < MAGIC.length + HASH_HEX + 4 || buf.toString('latin1', 0, MAGIC.length) !== MAGIC) {
    throw corrupt('Not a corpusflow checkpoint (bad magic)', 0);
  }
  const expected = buf.toString('latin1', MAGIC.length, MAGIC.length + HASH_HEX);
  const body = buf.subarray(MAGIC.length + HASH_HEX);
  const actual = createHash('sha256').update(body).digest('hex');
  if (actual !== expected) throw corrupt(`Checksum mismatch: file says sha256 ${expected.slice(0, 12)}…, contents hash to ${actual.slice(0, 12)}…`);
  const headerLength = body.readUInt32LE(0);
  let header: CheckpointHeader;
  try {
    header = JSON.parse(body.toString('utf8', 4, 4 + headerLength));
  } catch {
    throw corrupt('Unreadable checkpoint header', MAGIC.length + HASH_HEX + 4);
  }
  if (header.format !== 'corpusflow-checkpoint' || header.version !== 1) throw corrupt(`Unsupported checkpoint format ${JSON.stringify(header.format)} v${header.version}`);
  const start = 4 + headerLength;
  const payloadBytes = body.subarray(start);
  if (payloadBytes.length % 4 !== 0) throw corrupt('Payload length is not a multiple of 4 bytes');
  // Copy into an aligned buffer: the payload's offset in the file need not be a multiple of 4.
  const payload = new Float32Array(new Uint8Array(payloadBytes).buffer);
  return { header, payload };
}

/** The file name of the checkpoint at `step` inside `dir`. */
export function checkpointPath(dir: string, step: number): string {
  return join(dir, `ckpt-${String(step).padStart(9, '0')}.cfckpt`);
}

/**
 * Write a checkpoint atomically, then delete all but the newest `keep` checkpoints in the directory.
 * @return the file written.
 */
export async function writeCheckpoint(dir: string, checkpoint: Checkpoint, keep = Infinity): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = checkpointPath(dir, checkpoint.header.step);
  await writeFileAtomic(path, encodeCheckpoint(checkpoint));
  if (Number.isFinite(keep)) {
    const files = (await listCheckpoints(dir)).slice(0, -Math.max(1, keep));
    await Promise.all(files.map((f) => unlink(f).catch(() => undefined)));
  }
  return path;
}

/** Checkpoint files in `dir`, oldest first. */
export async function listCheckpoints(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  return names
    .map((n) => ({ n, m: FILE_PATTERN.exec(n) }))
    .filter((x) => x.m)
    .sort((a, b) => Number(a.m![1]) - Number(b.m![1]))
    .map((x) => join(dir, x.n));
}

/**
 * Read and verify a checkpoint. A directory means its newest checkpoint.
 * @throws CorpusflowError CHECKPOINT_CORRUPT (bad file) or FILE_NOT_FOUND.
 */
export async function readCheckpoint(path: string): Promise<Checkpoint> {
  let file = path;
  if (!FILE_PATTERN.test(path.split(/[\\/]/).pop() ?? '')) {
    const found = await listCheckpoints(path);
    if (found.length > 0) file = found[found.length - 1]!;
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new CorpusflowError(code === 'ENOENT' || code === 'EISDIR' ? 'FILE_NOT_FOUND' : 'IO_ERROR', `Cannot read checkpoint: ${(e as Error).message}`, { position: { file }, cause: e });
  }
  return decodeCheckpoint(bytes, file);
}

/**
 * Put a checkpoint's weights, optimizer state and random position back into a model and optimizer
 * built with the same configuration.
 * @throws CorpusflowError CHECKPOINT_CORRUPT when the variables do not match the model.
 */
export function restoreCheckpoint(checkpoint: Checkpoint, model: TrainableModel<never>, optimizer: Optimizer): void {
  const { header, payload } = checkpoint;
  const trainable = model.trainableVariables();
  const all = [...trainable, ...(model.stateVariables?.() ?? [])];
  const mismatch = (what: string) =>
    new CorpusflowError('CHECKPOINT_CORRUPT', `Checkpoint does not fit this model: ${what}`, { position: { field: what }, hint: 'build the model with the options it was trained with' });
  if (header.variables.length !== all.length) throw mismatch(`${header.variables.length} variables saved, model has ${all.length}`);
  const view = (e: TensorEntry) => {
    if (e.offset + e.length > payload.length) throw mismatch(`${e.name} lies outside the payload`);
    return payload.subarray(e.offset, e.offset + e.length);
  };
  tf.tidy(() => {
    header.variables.forEach((e, i) => {
      const v = all[i]!;
      if (!tf.util.arraysEqual(e.shape, v.shape)) throw mismatch(`${e.name} has shape [${e.shape}], model has [${v.shape}]`);
      v.assign(tf.tensor(view(e), e.shape, v.dtype));
    });
    if (header.optimizer.name !== optimizer.name) throw mismatch(`optimizer ${header.optimizer.name} saved, ${optimizer.name} given`);
    optimizer.setSlots(
      trainable,
      header.slots.map((s) => ({ variable: s.variable, slot: s.slot, tensor: tf.tensor(view(s), s.shape, 'float32') })),
    );
  });
  optimizer.iterations = header.optimizer.iterations;
  if (header.randomState !== null) model.setRandomState?.(header.randomState);
}
