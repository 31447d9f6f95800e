/** Builds the workshop app in process, as `cdk synth` would, for template assertions. */
import { App, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { readConfig, type WorkshopConfig } from '../../lib/config';
import { buildWorkshop, type WorkshopStacks } from '../../lib/workshop';

/** The instant tests synthesize at, so `expires-at` is predictable. */
export const SYNTH_TIME = new Date('2026-11-24T10:00:00.000Z');

const cdkJsonContext = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8'))
  .context as Record<string, unknown>;

export interface SynthOptions {
  /** Run the cdk-nag AwsSolutions checks. @default false */
  readonly nag?: boolean;
  /** Bundle function code with esbuild. @default false — templates do not depend on it */
  readonly bundle?: boolean;
}

export interface SynthesizedWorkshop {
  readonly app: App;
  readonly config: WorkshopConfig;
  readonly stacks: WorkshopStacks;
  template(stack: Stack): Template;
}

/** `-c` flags as a record of strings, exactly as the CLI passes them. */
export function synthWorkshop(
  context: Record<string, string> = {},
  options: SynthOptions = {},
): SynthesizedWorkshop {
  const app = new App({
    context: { ...cdkJsonContext, ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }), ...context },
  });
  const config = readConfig((key) => app.node.tryGetContext(key), SYNTH_TIME);
  const stacks = buildWorkshop(app, config, { nag: options.nag ?? false });
  return { app, config, stacks, template: (stack) => Template.fromStack(stack) };
}
