/**
 * Synthesizes the workshop's CDK app into a folder, in a process of its own so the parent can show
 * progress while esbuild bundles. Builds the app exactly as bin/app.ts does, with cdk.json's context
 * and the metadata the CDK CLI asks for (asset paths are how the local runtime finds bundles), so the
 * templates are the ones `cdk synth` writes. Two things `cdk synth` does are left out, as they change no
 * template: CDK's built-in CloudFormation validation (its findings are only warnings unless
 * `@aws-cdk/core:validateAgainstDefaultRules` is set, and starting its engine takes seconds; cdk-nag
 * still runs and still fails the synthesis), and bundling a function whose inputs are unchanged since
 * the last synthesis into this folder (its kept bundle is copied; see lib/lambda/bundle-reuse.ts).
 *
 * Arguments: OUTDIR CONTEXT_JSON. Exit 0 on success; 1 with the reason on stderr otherwise.
 */
import { App } from 'aws-cdk-lib';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ConfigError, readConfig } from '../lib/config';
import { BUNDLE_REUSE_CONTEXT } from '../lib/lambda/bundled-function';
import { buildWorkshop } from '../lib/workshop';

const [outdir, contextJson = '{}'] = process.argv.slice(2);
const cdkJson = JSON.parse(readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8')) as {
  context?: Record<string, unknown>;
};
const context: Record<string, unknown> = {
  ...cdkJson.context,
  'aws:cdk:enable-path-metadata': true,
  'aws:cdk:enable-asset-metadata': true,
  [BUNDLE_REUSE_CONTEXT]: path.join(outdir, '.kw-bundles'),
  ...(JSON.parse(contextJson) as Record<string, string>),
};
// With either flag, CloudFormation validation findings fail `cdk synth`: then they fail this one too.
const validationCanFail = [
  '@aws-cdk/core:validateAgainstDefaultRules',
  '@aws-cdk/core:strictCfnValidateErrors',
]
  .map((key) => context[key])
  .some((value) => value === true || value === 'true');
const app = new App({ outdir, context, builtinCloudFormationValidation: validationCanFail });
try {
  buildWorkshop(
    app,
    readConfig((key) => app.node.tryGetContext(key), new Date(), Object.keys(app.node.getAllContext())),
  );
  app.synth();
} catch (error) {
  process.stderr.write(`${error instanceof ConfigError ? error.message : (error as Error).stack}\n`);
  process.exit(1);
}
// Done: exit now rather than when the event loop drains, which took one to several seconds more
// (tsx's connection attempt to a parent watcher, finalizers of the synthesis' garbage). A failed
// validation plugin (cdk-nag) has set process.exitCode; what it printed is flushed first.
process.stderr.write('', () => process.exit());
