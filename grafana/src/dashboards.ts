import { controller } from './controller.js';
import { executor } from './executor.js';
import type { DashboardDef } from './model.js';
import { overview } from './overview.js';

/** Every provisioned dashboard with the file it is written to under grafana/dashboards/. */
export const DASHBOARDS: readonly { readonly file: string; readonly def: DashboardDef }[] = [
  { file: 'overview.json', def: overview },
  { file: 'executor.json', def: executor },
  { file: 'controller.json', def: controller },
];
