//! Integration tests for the simulators: real HTTP over loopback against in-process servers.
