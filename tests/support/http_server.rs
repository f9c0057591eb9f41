//! A loopback HTTP server for webhook tests (filled in by the webhook sink tests).
