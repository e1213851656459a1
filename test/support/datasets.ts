import path from 'node:path';

/**
 * The real bug reports: public GitHub issues kept beside the repository, never in it
 * (their text belongs to their authors). Only `npm run test:datasets` reads them; its jest
 * config (jest.datasets.config.js) stops with one line when the folder is missing.
 */
export const DATASETS_DIR = path.resolve(__dirname, '..', '..', '..', 'shared', 'datasets');

export function datasetPath(file: string): string {
  return path.join(DATASETS_DIR, file);
}
