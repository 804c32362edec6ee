//! Controllers of the simulated cluster.
