//! The only module that talks to Kubernetes (kube-rs): client set-up from kubeconfig with the
//! read-only guard, watchers, conversions to view types, and the few direct requests.
pub mod anchor;
pub mod applications;
pub mod appprojects;
pub mod connect;
pub mod convert;
pub mod error;
pub mod evidence;
pub mod evidence_access;
pub mod guard;
pub mod lock;
pub mod mutate;
pub mod ops;
pub mod rollout;
pub mod velero;
pub mod watch;
pub mod write;

pub use connect::{ConnectOptions, Connection, connect, resolve_context};
pub use error::ClusterError;
pub use guard::{ReadOnlyLayer, ReadOnlyRefused};
