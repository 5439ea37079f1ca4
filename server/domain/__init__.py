"""The domain core: models, migrations, the access rules, one module per domain's rules."""
