import type { Config } from '../../config/load.js';
import { dbmate } from './dbmate.js';
import { prisma } from './prisma.js';
import type { Layout, Migrations } from './types.js';

/**
 * The layouts tm reads, asked in this order; the first that recognises the project wins.
 * dbmate's takes every project (a missing folder has no migrations), so it stays last.
 */
const LAYOUTS: Layout[] = [prisma, dbmate];

/** The migrations of this project, in whichever layout it keeps them. */
export async function openMigrations(config: Config): Promise<Migrations> {
  for (const layout of LAYOUTS) {
    const found = await layout.detect(config);
    if (found) return found;
  }
  throw new Error('no migrations layout recognised the project; the last one takes every project');
}
