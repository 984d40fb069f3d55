//! The switches that make a simulated price API misbehave.
//!
//! The coordinator must survive price sources that are slow, down, rate-limited, broken or
//! refusing its key, and fall back to the next source the way PegNet's priority list does.
//! Tests set a [`Mode`] per [`Source`] (in process through `Feed`, or over HTTP with
//! `POST /devnet/feed/{source}`); the JSON of a mode is the same both ways:
//! `{"mode":"slow","delay_ms":2000}`, `{"mode":"failing"}`, ...

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

/// The longest delay slow mode accepts, so a typo cannot park requests for hours.
pub const MAX_DELAY_MS: u64 = 600_000;

/// A simulated price API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    /// CoinGecko's `/api/v3/simple/price`: PEG and cryptos.
    CoinGecko,
    /// OpenExchangeRates' `/api/latest.json`: fiat, metals and BTC, keyed by `app_id`.
    OpenExchangeRates,
    /// ExchangeRate-API's open access `/v6/latest/{base}`: fiat only, no key.
    ExchangeRateApi,
    /// Coinbase's `/v2/exchange-rates`: fiat, metals and the cryptos Coinbase lists, no key.
    Coinbase,
    /// The ECB's `/stats/eurofxref/eurofxref-daily.xml`: euro reference rates, no key.
    Ecb,
    /// CoinMarketCap Pro's `/v1/cryptocurrency/quotes/latest`: PEG and cryptos, keyed.
    CoinMarketCap,
    /// APILayer's `/exchangerates_data/latest`: fiat, gold, silver and BTC, keyed.
    ApiLayer,
    /// CoinPaprika's `/v1/tickers`: the cryptos with a CoinPaprika id, no key.
    CoinPaprika,
}

impl Source {
    /// Every source, in a fixed order.
    pub const ALL: [Source; 8] = [
        Source::CoinGecko,
        Source::OpenExchangeRates,
        Source::ExchangeRateApi,
        Source::Coinbase,
        Source::Ecb,
        Source::CoinMarketCap,
        Source::ApiLayer,
        Source::CoinPaprika,
    ];

    /// The name used in control paths and status (`coingecko`, `openexchangerates`,
    /// `exchangerate-api`, `coinbase`, `ecb`, `coinmarketcap`, `apilayer`, `coinpaprika`).
    pub fn name(self) -> &'static str {
        match self {
            Source::CoinGecko => "coingecko",
            Source::OpenExchangeRates => "openexchangerates",
            Source::ExchangeRateApi => "exchangerate-api",
            Source::Coinbase => "coinbase",
            Source::Ecb => "ecb",
            Source::CoinMarketCap => "coinmarketcap",
            Source::ApiLayer => "apilayer",
            Source::CoinPaprika => "coinpaprika",
        }
    }

    pub(crate) fn index(self) -> usize {
        match self {
            Source::CoinGecko => 0,
            Source::OpenExchangeRates => 1,
            Source::ExchangeRateApi => 2,
            Source::Coinbase => 3,
            Source::Ecb => 4,
            Source::CoinMarketCap => 5,
            Source::ApiLayer => 6,
            Source::CoinPaprika => 7,
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A source name that is not one of [`Source::name`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown source `{0}`: expected coingecko, openexchangerates, exchangerate-api, coinbase, ecb, coinmarketcap, apilayer or coinpaprika"
)]
pub struct UnknownSource(pub String);

impl FromStr for Source {
    type Err = UnknownSource;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Source::ALL
            .into_iter()
            .find(|source| source.name() == s)
            .ok_or_else(|| UnknownSource(s.to_owned()))
    }
}

/// How a source answers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// Like the real API on a good day.
    #[default]
    Normal,
    /// Normally, after `delay` (to test client timeouts).
    Slow {
        /// How long each request waits before it is answered.
        delay: Duration,
    },
    /// HTTP 5xx with a plausible body for that API.
    Failing,
    /// HTTP 429 with that API's rate-limit body and a `Retry-After` header.
    RateLimited,
    /// HTTP 200 with a truncated, invalid JSON body.
    Malformed,
    /// That API's invalid-key error.
    Unauthorized,
}

impl Mode {
    /// The mode's name in JSON (`normal`, `slow`, `failing`, `rate-limited`, `malformed`,
    /// `unauthorized`).
    pub fn name(self) -> &'static str {
        match self {
            Mode::Normal => "normal",
            Mode::Slow { .. } => "slow",
            Mode::Failing => "failing",
            Mode::RateLimited => "rate-limited",
            Mode::Malformed => "malformed",
            Mode::Unauthorized => "unauthorized",
        }
    }

    /// Parses a control body: `{"mode":"slow","delay_ms":2000}`, `{"mode":"failing"}`, or
    /// just the name as a JSON string (`"failing"`).
    pub fn from_json(body: &[u8]) -> Result<Mode, ModeError> {
        let value: Value =
            serde_json::from_slice(body).map_err(|e| ModeError::NotJson(e.to_string()))?;
        match value {
            Value::String(name) => Mode::from_fields(&name, None),
            Value::Object(fields) => {
                if let Some(field) = fields.keys().find(|k| *k != "mode" && *k != "delay_ms") {
                    return Err(ModeError::UnknownField(field.clone()));
                }
                let name = match fields.get("mode") {
                    None => return Err(ModeError::MissingMode),
                    Some(Value::String(name)) => name,
                    Some(_) => return Err(ModeError::ModeNotString),
                };
                Mode::from_fields(name, fields.get("delay_ms"))
            }
            _ => Err(ModeError::NotAnObject),
        }
    }

    fn from_fields(name: &str, delay_ms: Option<&Value>) -> Result<Mode, ModeError> {
        let mode = match name {
            "normal" => Mode::Normal,
            "slow" => {
                let delay_ms = delay_ms
                    .ok_or(ModeError::MissingDelay)?
                    .as_u64()
                    .ok_or(ModeError::BadDelay)?;
                if delay_ms > MAX_DELAY_MS {
                    return Err(ModeError::DelayTooLong {
                        delay_ms,
                        max_ms: MAX_DELAY_MS,
                    });
                }
                return Ok(Mode::Slow {
                    delay: Duration::from_millis(delay_ms),
                });
            }
            "failing" => Mode::Failing,
            "rate-limited" => Mode::RateLimited,
            "malformed" => Mode::Malformed,
            "unauthorized" => Mode::Unauthorized,
            other => return Err(ModeError::UnknownMode(other.to_owned())),
        };
        match delay_ms {
            Some(_) => Err(ModeError::DelayWithoutSlow(name.to_owned())),
            None => Ok(mode),
        }
    }
}

impl Serialize for Mode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Wire {
            mode: &'static str,
            #[serde(skip_serializing_if = "Option::is_none")]
            delay_ms: Option<u64>,
        }
        let delay_ms = match self {
            Mode::Slow { delay } => Some(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX)),
            _ => None,
        };
        Wire {
            mode: self.name(),
            delay_ms,
        }
        .serialize(serializer)
    }
}

/// Why a control body is not a mode; the message names the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModeError {
    /// The body does not parse as JSON.
    #[error("body is not JSON: {0}")]
    NotJson(String),
    /// The body is JSON but neither an object nor a string.
    #[error(r#"body must be an object like {{"mode":"failing"}} or a mode name string"#)]
    NotAnObject,
    /// The object has no `mode`.
    #[error("missing field `mode`")]
    MissingMode,
    /// `mode` is not a string.
    #[error("field `mode` must be a string")]
    ModeNotString,
    /// The mode name is not one of the known ones.
    #[error(
        "unknown mode `{0}`: expected normal, slow, failing, rate-limited, malformed or unauthorized"
    )]
    UnknownMode(String),
    /// The object has a field other than `mode` and `delay_ms`.
    #[error("unknown field `{0}`: only `mode` and `delay_ms` are allowed")]
    UnknownField(String),
    /// Slow mode without `delay_ms`.
    #[error("mode `slow` needs `delay_ms`")]
    MissingDelay,
    /// `delay_ms` is not a non-negative whole number.
    #[error("`delay_ms` must be a whole number of milliseconds, 0 or more")]
    BadDelay,
    /// `delay_ms` is above [`MAX_DELAY_MS`].
    #[error("`delay_ms` {delay_ms} is above the limit of {max_ms}")]
    DelayTooLong {
        /// The delay asked for.
        delay_ms: u64,
        /// [`MAX_DELAY_MS`].
        max_ms: u64,
    },
    /// `delay_ms` given with a mode other than slow.
    #[error("`delay_ms` only goes with mode `slow`, not `{0}`")]
    DelayWithoutSlow(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_round_trip_their_names() {
        for source in Source::ALL {
            assert_eq!(source.name().parse(), Ok(source));
            assert_eq!(Source::ALL[source.index()], source);
        }
        assert!("CoinGecko".parse::<Source>().is_err());
    }

    #[test]
    fn modes_parse_and_print_the_same_json() {
        let modes = [
            Mode::Normal,
            Mode::Slow {
                delay: Duration::from_millis(2000),
            },
            Mode::Failing,
            Mode::RateLimited,
            Mode::Malformed,
            Mode::Unauthorized,
        ];
        for mode in modes {
            let json = serde_json::to_vec(&mode).unwrap();
            assert_eq!(Mode::from_json(&json), Ok(mode));
        }
        assert_eq!(
            serde_json::to_string(&modes[1]).unwrap(),
            r#"{"mode":"slow","delay_ms":2000}"#
        );
        assert_eq!(Mode::from_json(br#""failing""#), Ok(Mode::Failing));
    }

    #[test]
    fn bad_bodies_say_what_is_wrong() {
        let cases: [(&[u8], ModeError); 9] = [
            (b"{", ModeError::NotJson(String::new())),
            (b"5", ModeError::NotAnObject),
            (b"{}", ModeError::MissingMode),
            (br#"{"mode":1}"#, ModeError::ModeNotString),
            (br#"{"mode":"fast"}"#, ModeError::UnknownMode("fast".into())),
            (br#"{"mode":"slow"}"#, ModeError::MissingDelay),
            (br#"{"mode":"slow","delay_ms":-1}"#, ModeError::BadDelay),
            (
                br#"{"mode":"normal","x":1}"#,
                ModeError::UnknownField("x".into()),
            ),
            (
                br#"{"mode":"failing","delay_ms":5}"#,
                ModeError::DelayWithoutSlow("failing".into()),
            ),
        ];
        for (body, want) in cases {
            let got = Mode::from_json(body).unwrap_err();
            match (&got, &want) {
                (ModeError::NotJson(_), ModeError::NotJson(_)) => {}
                _ => assert_eq!(got, want),
            }
        }
        assert_eq!(
            Mode::from_json(br#"{"mode":"slow","delay_ms":600001}"#),
            Err(ModeError::DelayTooLong {
                delay_ms: 600_001,
                max_ms: MAX_DELAY_MS
            })
        );
    }
}
