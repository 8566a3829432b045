//! What the api and db-service run the same way, written once: the environment and log-format settings and the
//! secrets check ([`config`]), logging ([`telemetry`]), Prometheus metrics ([`metrics`]), the HTTP middleware
//! stack ([`stack`]), the server loop with its connection timeouts ([`serve`]) and the container health probe
//! ([`health_probe`]). It holds no domain logic.

pub mod config;
pub mod health_probe;
pub mod metrics;
pub mod serve;
pub mod stack;
pub mod telemetry;
