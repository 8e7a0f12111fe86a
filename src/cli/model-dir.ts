/** Loading a trained model directory (model/ from `run`, or any ProdLDA.save output) for `infer` and `evaluate`. */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { Dictionary } from '../dictionary/dictionary.js';
import { CorpusflowError } from '../errors.js';
import { ProdLDA } from '../models/prodlda.js';
import type { ModelPipelineInfo } from './outputs.js';

export interface LoadedModel {
  model: ProdLDA;
  dictionary: Dictionary;
  /** How the training text was tokenised, when the directory says (runs write model/pipeline.json). */
  info?: ModelPipelineInfo;
  dir: string;
}

/**
 * Load a model. `dir` may be a run's output directory (its model/ is used) or the model directory itself.
 *
 * @param dir the directory given with --model.
 */
export async function loadModelDir(dir: string): Promise<LoadedModel> {
  let modelDir = dir;
  try {
    await stat(path.join(dir, 'model.json'));
  } catch {
    try {
      await stat(path.join(dir, 'model', 'model.json'));
      modelDir = path.join(dir, 'model');
    } catch {
      throw new CorpusflowError('FILE_NOT_FOUND', 'no model.json here or in its model/ directory', {
        position: { file: dir },
        hint: 'pass the output directory of `corpusflow run`, or a directory written by ProdLDA.save',
      });
    }
  }
  const model = await ProdLDA.load(modelDir, { loadDictionary: (p) => Dictionary.loadFromText(p) });
  const dictionary = model.dictionary as Dictionary | undefined;
  if (!dictionary) {
    model.dispose();
    throw new CorpusflowError('MODEL_FORMAT', 'the model was saved without its dictionary', { position: { file: modelDir } });
  }
  let info: ModelPipelineInfo | undefined;
  try {
    info = JSON.parse(await readFile(path.join(modelDir, 'pipeline.json'), 'utf8')) as ModelPipelineInfo;
  } catch {
    info = undefined;
  }
  return { model, dictionary, ...(info ? { info } : {}), dir: modelDir };
}
