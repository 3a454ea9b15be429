//! The shared backend: the slot rule of `memory.rs` as one Lua script that Redis runs atomically,
//! so any number of replicas reserving slots for one location see one queue.
//!
//! Per key there are two Redis keys with the same hash tag (so they live on one Redis Cluster
//! slot): a list of the last `burst` slot times and a hash holding today's UTC day and count.
//! Times are Redis's own clock (`TIME`), so replicas whose clocks disagree still agree on the
//! queue; the script answers with a wait, which each replica sleeps by its own clock. Both keys
//! expire by themselves once idle.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::{Decision, Limits, SetupError};

/// The slot rule. KEYS: the slot list and the daily hash. ARGV: burst, spacing in ms (window
/// plus margin), daily limit, longest wait in ms. Answers `{0, wait_ms}` (granted),
/// `{1, ms_until_utc_midnight}` (daily budget spent) or `{2, wait_ms}` (slot too far away).
const SCRIPT: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local burst = tonumber(ARGV[1])
local spacing = tonumber(ARGV[2])
local daily = tonumber(ARGV[3])
local max_wait = tonumber(ARGV[4])
local day_ms = 86400000
local today = math.floor(now / day_ms)

local day = tonumber(redis.call('HGET', KEYS[2], 'day') or '-1')
local used = 0
if day == today then used = tonumber(redis.call('HGET', KEYS[2], 'used') or '0') end
if used >= daily then return {1, day_ms - now % day_ms} end

local n = redis.call('LLEN', KEYS[1])
local slot = now
if n >= burst then
  local back = tonumber(redis.call('LINDEX', KEYS[1], n - burst))
  if back + spacing > slot then slot = back + spacing end
end
local wait = slot - now
if wait > max_wait then return {2, wait} end

redis.call('RPUSH', KEYS[1], string.format('%d', slot))
if n + 1 > burst then redis.call('LTRIM', KEYS[1], -burst, -1) end
redis.call('PEXPIRE', KEYS[1], wait + spacing + 1000)
redis.call('HSET', KEYS[2], 'day', today, 'used', used + 1)
redis.call('PEXPIRE', KEYS[2], day_ms - now % day_ms + 60000)
return {0, wait}
"#;

/// Redis keys start with this, so the limiter's keys are easy to find and to keep apart.
const PREFIX: &str = "highlevel-mcp:rl";

/// A lazily connected, self-reconnecting Redis connection plus the loaded script.
pub(crate) struct Shared {
    conn: ConnectionManager,
    script: redis::Script,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Shared(redis)")
    }
}

impl Shared {
    /// Checks the URL and prepares a connection that is opened on first use. Every Redis round
    /// trip is bounded, so an unreachable Redis costs a call at most about a second.
    pub(crate) fn new(url: &str) -> Result<Self, SetupError> {
        let client = redis::Client::open(url).map_err(|e| {
            SetupError(format!(
                "--rate-limit: not a usable Redis URL ({}); give redis://host:port[/db]",
                e.category()
            ))
        })?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_millis(800)))
            .set_response_timeout(Some(Duration::from_millis(800)))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(200));
        let conn = ConnectionManager::new_lazy_with_config(client, config).map_err(|e| {
            SetupError(format!(
                "--rate-limit: cannot prepare the Redis connection: {}",
                e.category()
            ))
        })?;
        Ok(Self {
            conn,
            script: redis::Script::new(SCRIPT),
        })
    }

    /// Runs the slot rule for `key`; `Err` says why Redis could not be asked.
    pub(crate) async fn reserve(&self, key: &str, limits: &Limits) -> Result<Decision, String> {
        let mut conn = self.conn.clone();
        let spacing = limits.spacing().as_millis() as u64;
        let answer: Vec<i64> = self
            .script
            .key(format!("{PREFIX}:{{{key}}}:slots"))
            .key(format!("{PREFIX}:{{{key}}}:daily"))
            .arg(limits.burst.max(1))
            .arg(spacing)
            .arg(limits.daily)
            .arg(limits.max_wait.as_millis() as u64)
            .invoke_async(&mut conn)
            .await
            .map_err(describe)?;
        let ms = |v: i64| Duration::from_millis(v.max(0) as u64);
        match answer.as_slice() {
            [0, wait] => Ok(Decision::Granted(ms(*wait))),
            [1, resets] => Ok(Decision::Daily(ms(*resets))),
            [2, wait] => Ok(Decision::TooFar(ms(*wait))),
            other => Err(format!(
                "the Redis rate-limit script answered {other:?}, not a decision"
            )),
        }
    }

    /// `PING`.
    pub(crate) async fn ping(&self) -> Result<(), String> {
        let mut conn = self.conn.clone();
        let pong: String = redis::cmd("PING")
            .query_async(&mut conn)
            .await
            .map_err(describe)?;
        if pong == "PONG" {
            Ok(())
        } else {
            Err(format!("Redis answered PING with {pong:?}"))
        }
    }
}

/// A Redis error in words that never carry the URL (it may hold a password).
fn describe(e: redis::RedisError) -> String {
    let what = if e.is_timeout() {
        "no answer in time".to_owned()
    } else if e.is_connection_refusal() || e.is_io_error() || e.is_connection_dropped() {
        "cannot connect".to_owned()
    } else {
        match e.detail() {
            Some(detail) => format!("{}: {detail}", e.category()),
            None => e.category().to_owned(),
        }
    };
    format!("Redis rate limiter unavailable: {what}")
}
