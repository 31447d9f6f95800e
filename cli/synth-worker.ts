/**
 * Synthesizes the workshop's CDK app into a folder, in a process of its own so the parent can show
 * progress while esbuild bundles. Builds the app exactly as bin/app.ts does, with cdk.json's context
 * and the metadata the CDK CLI asks for (asset paths are how the local runtime finds bundles).
 *
 * Arguments: OUTDIR CONTEXT_JSON. Exit 0 on success; 1 with the reason on stderr otherwise.
 */
import { App } from 'aws-cdk-lib';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ConfigError, readConfig } from '../lib/config';
import { buildWorkshop } from '../lib/workshop';

const [outdir, contextJson = '{}'] = process.argv.slice(2);
const cdkJson = JSON.parse(readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8')) as {
  context?: Record<string, unknown>;
};
const app = new App({
  outdir,
  context: {
    ...cdkJson.context,
    'aws:cdk:enable-path-metadata': true,
    'aws:cdk:enable-asset-metadata': true,
    ...(JSON.parse(contextJson) as Record<string, string>),
  },
});
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
