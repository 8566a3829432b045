//! Login rate limiting, per client address and per account, so passwords cannot be guessed at speed.

use std::{net::IpAddr, num::NonZeroU32, sync::Arc, time::Duration};

use governor::{clock::Clock, DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::ApiError;

/// Two keyed token buckets: one per client IP, one per e-mail address.
#[derive(Debug, Clone)]
pub struct LoginLimiter {
    by_ip: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    by_account: Arc<DefaultKeyedRateLimiter<String>>,
}

impl LoginLimiter {
    /// `per_ip` and `per_account` attempts a minute, each allowed as a burst.
    pub fn new(per_ip: NonZeroU32, per_account: NonZeroU32) -> Self {
        Self {
            by_ip: Arc::new(RateLimiter::dashmap(Quota::per_minute(per_ip))),
            by_account: Arc::new(RateLimiter::dashmap(Quota::per_minute(per_account))),
        }
    }

    /// Counts one attempt; refuses it with 429 and the wait in seconds once either bucket is empty.
    pub fn check(&self, ip: IpAddr, email: &str) -> Result<(), ApiError> {
        let account = email.trim().to_lowercase();
        let now = governor::clock::DefaultClock::default().now();
        for outcome in [
            self.by_ip.check_key(&ip),
            self.by_account.check_key(&account),
        ] {
            if let Err(not_until) = outcome {
                let wait = not_until.wait_time_from(now);
                return Err(ApiError::TooManyRequests(wait.as_secs().max(1)));
            }
        }
        Ok(())
    }

    /// Forgets buckets that have refilled, so memory stays bounded by recent clients. Runs until dropped.
    pub async fn prune_forever(self) {
        let mut ticks = tokio::time::interval(Duration::from_secs(60));
        loop {
            ticks.tick().await;
            self.by_ip.retain_recent();
            self.by_account.retain_recent();
            self.by_ip.shrink_to_fit();
            self.by_account.shrink_to_fit();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(n: u32) -> NonZeroU32 {
        NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
    }

    #[test]
    fn an_account_is_refused_after_its_burst_whatever_the_address() {
        let limiter = LoginLimiter::new(limit(100), limit(3));
        for last in 1..=3 {
            assert!(limiter
                .check(IpAddr::from([10, 0, 0, last]), "Jake@Example.com")
                .is_ok());
        }
        let refused = limiter.check(IpAddr::from([10, 0, 0, 9]), "jake@example.com");
        assert!(
            matches!(refused, Err(ApiError::TooManyRequests(secs)) if secs >= 1),
            "{refused:?}"
        );
        assert!(limiter
            .check(IpAddr::from([10, 0, 0, 9]), "anna@example.com")
            .is_ok());
    }

    #[test]
    fn an_address_is_refused_after_its_burst_whatever_the_account() {
        let limiter = LoginLimiter::new(limit(2), limit(100));
        let ip = IpAddr::from([127, 0, 0, 1]);
        assert!(limiter.check(ip, "a@x.io").is_ok());
        assert!(limiter.check(ip, "b@x.io").is_ok());
        assert!(matches!(
            limiter.check(ip, "c@x.io"),
            Err(ApiError::TooManyRequests(_))
        ));
    }
}
