process.env.POWERTOOLS_METRICS_DISABLED = 'true';
