"""The operators' dashboard (CONTRACT section 11): server-rendered pages under /admin/ over the
same shared/operations and shared/metrics functions as the admin API and the CLI. No script:
charts are SVG drawn on the server, so every page works with JavaScript off."""
