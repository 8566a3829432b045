//! The api as a client sees it, with db-service and api running as real processes.

mod articles;
mod helpers;
mod hostile;
mod operations;
mod permissions;
mod resilience;
mod site;
mod social;
mod users;
