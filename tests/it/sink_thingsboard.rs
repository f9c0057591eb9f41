//! Tests of the `thingsboard` sink.
