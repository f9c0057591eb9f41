//! Tests of the `nats` sink.
