//! Rate limits on what costs a password hash — logins and sign-ups — keyed so that no client can spend another's
//! allowance: per client address (an IPv6 client by its /64, which one subscriber usually holds whole), and for logins
//! also per account *and* client, so guessing at someone's password from one place never locks its owner out from
//! another. And on write attempts, per user: every write waits for a commit by a database's one writer, so one account
//! writing as fast as it can would slow everyone's writes (counted by the `AuthUser` extractor once the token was found
//! current, as far as this process knows: token_versions.rs). It bounds how fast an account writes, not how much: a
//! quota on what an account stores would be another limit. And on searches, per client address: a search for words
//! db-service has not ranked since the articles last changed costs a ranking (up to about 80 ms of a core at 1,000,000
//! articles, one at a time for everyone): one client address making up searches as fast as it can would keep everyone
//! else's waiting, and with this takes a bounded share of the turn. Each api process keeps its own buckets: behind N
//! processes serving the same requests, a client has up to N times each allowance.

use std::{
    net::{IpAddr, Ipv6Addr},
    num::NonZeroU32,
    sync::Arc,
    time::Duration,
};

use governor::{clock::Clock, DefaultKeyedRateLimiter, Quota, RateLimiter};

use db_client::UserId;

use crate::error::{ApiError, Limited};

/// A client as the limits see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Client(IpAddr);

impl From<IpAddr> for Client {
    fn from(ip: IpAddr) -> Self {
        Self(match ip {
            IpAddr::V4(v4) => IpAddr::V4(v4),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX))),
            },
        })
    }
}

/// Attempts allowed per minute, each as a burst.
#[derive(Debug, Clone, Copy)]
pub struct Quotas {
    pub logins_per_client: NonZeroU32,
    pub logins_per_account_and_client: NonZeroU32,
    pub signups_per_client: NonZeroU32,
    pub writes_per_user: NonZeroU32,
    pub searches_per_client: NonZeroU32,
}

/// Keyed token buckets for logins, sign-ups, writes and searches. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Limits {
    logins_by_client: Arc<DefaultKeyedRateLimiter<Client>>,
    logins_by_account: Arc<DefaultKeyedRateLimiter<(String, Client)>>,
    signups_by_client: Arc<DefaultKeyedRateLimiter<Client>>,
    writes_by_user: Arc<DefaultKeyedRateLimiter<UserId>>,
    searches_by_client: Arc<DefaultKeyedRateLimiter<Client>>,
}

impl Limits {
    pub fn new(quotas: Quotas) -> Self {
        Self {
            logins_by_client: Arc::new(RateLimiter::dashmap(Quota::per_minute(
                quotas.logins_per_client,
            ))),
            logins_by_account: Arc::new(RateLimiter::dashmap(Quota::per_minute(
                quotas.logins_per_account_and_client,
            ))),
            signups_by_client: Arc::new(RateLimiter::dashmap(Quota::per_minute(
                quotas.signups_per_client,
            ))),
            writes_by_user: Arc::new(RateLimiter::dashmap(Quota::per_minute(
                quotas.writes_per_user,
            ))),
            searches_by_client: Arc::new(RateLimiter::dashmap(Quota::per_minute(
                quotas.searches_per_client,
            ))),
        }
    }

    /// Counts one login at `account` (an already validated, lower-cased e-mail) from `client`; 429 with the wait
    /// once either bucket is empty.
    pub fn login(&self, client: Client, account: &str) -> Result<(), ApiError> {
        refuse_when_empty(Limited::Login, self.logins_by_client.check_key(&client))?;
        refuse_when_empty(
            Limited::Login,
            self.logins_by_account
                .check_key(&(account.to_owned(), client)),
        )
    }

    /// Counts one sign-up from `client`; 429 with the wait once its bucket is empty.
    pub fn signup(&self, client: Client) -> Result<(), ApiError> {
        refuse_when_empty(Limited::Signup, self.signups_by_client.check_key(&client))
    }

    /// Counts one write attempt (a new article or comment, a favorite, a follow, an edit, a deletion, a settings
    /// change) by `user`; 429 with the wait once their bucket is empty.
    pub fn write(&self, user: UserId) -> Result<(), ApiError> {
        refuse_when_empty(Limited::Writes, self.writes_by_user.check_key(&user))
    }

    /// Counts one search (a list request with words to search for) from `client`; 429 with the wait once its
    /// bucket is empty.
    pub fn search(&self, client: Client) -> Result<(), ApiError> {
        refuse_when_empty(
            Limited::Searches,
            self.searches_by_client.check_key(&client),
        )
    }

    /// Forgets buckets that have refilled, so memory stays bounded by recent clients. Runs until dropped.
    pub async fn prune_forever(self) {
        let mut ticks = tokio::time::interval(Duration::from_secs(60));
        loop {
            ticks.tick().await;
            self.logins_by_client.retain_recent();
            self.logins_by_account.retain_recent();
            self.signups_by_client.retain_recent();
            self.writes_by_user.retain_recent();
            self.searches_by_client.retain_recent();
            self.logins_by_client.shrink_to_fit();
            self.logins_by_account.shrink_to_fit();
            self.signups_by_client.shrink_to_fit();
            self.writes_by_user.shrink_to_fit();
            self.searches_by_client.shrink_to_fit();
        }
    }
}

fn refuse_when_empty(
    what: Limited,
    outcome: Result<(), governor::NotUntil<<governor::clock::DefaultClock as Clock>::Instant>>,
) -> Result<(), ApiError> {
    outcome.map_err(|not_until| {
        let wait = not_until.wait_time_from(governor::clock::DefaultClock::default().now());
        ApiError::TooManyRequests {
            what,
            retry_after: whole_seconds_up(wait),
        }
    })
}

/// `wait` in whole seconds, rounded up and at least 1: a client that waits as long as `Retry-After` says finds
/// room again.
fn whole_seconds_up(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(n: u32) -> NonZeroU32 {
        NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
    }

    fn limits(per_client: u32, per_account: u32, signups: u32) -> Limits {
        Limits::new(Quotas {
            logins_per_client: n(per_client),
            logins_per_account_and_client: n(per_account),
            signups_per_client: n(signups),
            writes_per_user: n(2),
            searches_per_client: n(2),
        })
    }

    fn client(ip: &str) -> Client {
        Client::from(ip.parse::<IpAddr>().expect("ip"))
    }

    #[test]
    fn guessing_at_an_account_from_one_client_never_locks_out_another() {
        let limits = limits(100, 3, 1);
        let attacker = client("203.0.113.9");
        for _ in 0..3 {
            assert!(limits.login(attacker, "jake@example.com").is_ok());
        }
        assert!(matches!(
            limits.login(attacker, "jake@example.com"),
            Err(ApiError::TooManyRequests { what: Limited::Login, retry_after }) if retry_after >= 1
        ));
        // The owner, elsewhere, signs in as usual.
        assert!(limits
            .login(client("198.51.100.7"), "jake@example.com")
            .is_ok());
    }

    #[test]
    fn a_client_is_refused_after_its_burst_whatever_the_account() {
        let limits = limits(2, 100, 1);
        let ip = client("127.0.0.1");
        assert!(limits.login(ip, "a@x.io").is_ok());
        assert!(limits.login(ip, "b@x.io").is_ok());
        assert!(limits.login(ip, "c@x.io").is_err());
        assert!(limits.login(client("127.0.0.2"), "c@x.io").is_ok());
    }

    #[test]
    fn a_user_is_refused_after_their_burst_of_writes_and_nobody_else_is() {
        let limits = limits(100, 100, 1);
        assert!(limits.write(UserId(1)).is_ok());
        assert!(limits.write(UserId(1)).is_ok());
        assert!(matches!(
            limits.write(UserId(1)),
            Err(ApiError::TooManyRequests { what: Limited::Writes, retry_after }) if retry_after >= 1
        ));
        assert!(limits.write(UserId(2)).is_ok());
    }

    #[test]
    fn a_client_is_refused_after_its_burst_of_searches_and_nobody_else_is() {
        let limits = limits(100, 100, 1);
        let searcher = client("2001:db8:1:2::7");
        assert!(limits.search(searcher).is_ok());
        // Another address of the same /64 is the same client.
        assert!(limits.search(client("2001:db8:1:2::8")).is_ok());
        assert!(matches!(
            limits.search(searcher),
            Err(ApiError::TooManyRequests { what: Limited::Searches, retry_after }) if retry_after >= 1
        ));
        assert!(limits.search(client("2001:db8:1:3::7")).is_ok());
        assert!(
            limits.write(UserId(1)).is_ok(),
            "searches are counted apart"
        );
    }

    #[test]
    fn retry_after_is_the_wait_rounded_up_to_whole_seconds() {
        assert_eq!(whole_seconds_up(Duration::ZERO), 1);
        assert_eq!(whole_seconds_up(Duration::from_millis(400)), 1);
        assert_eq!(whole_seconds_up(Duration::from_secs(1)), 1);
        assert_eq!(whole_seconds_up(Duration::from_millis(1900)), 2);
    }

    #[test]
    fn an_ipv6_client_is_its_slash_64() {
        let limits = limits(100, 100, 1);
        assert!(limits.signup(client("2001:db8:1:2::1")).is_ok());
        assert!(limits.signup(client("2001:db8:1:2:ffff::9")).is_err());
        assert!(limits.signup(client("2001:db8:1:3::1")).is_ok());
        assert_eq!(client("::ffff:192.0.2.1"), client("192.0.2.1"));
    }
}
