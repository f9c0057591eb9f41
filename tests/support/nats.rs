//! A NATS server with JetStream as a child process (filled in by the NATS sink tests).
