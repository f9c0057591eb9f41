//! Tests of the `cumulocity` sink.
