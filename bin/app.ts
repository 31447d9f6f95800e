#!/usr/bin/env node
/** CDK app entry: one validated configuration from context, then every stack built from it. */
import { App } from 'aws-cdk-lib';
import { ConfigError, readConfig } from '../lib/config';
import { buildWorkshop } from '../lib/workshop';

const app = new App();
try {
  buildWorkshop(
    app,
    readConfig((key) => app.node.tryGetContext(key), new Date(), Object.keys(app.node.getAllContext())),
  );
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`${error.message}\n\nSee README.md, "Configuration", for every option and its default.`);
  process.exit(1);
}
