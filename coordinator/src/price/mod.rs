//! Price polling: the USD prices of an OPR's assets, from the configured price APIs with
//! PegNet's priority and per-asset override rules (`reference/pegnet.md` §4).
//!
//! [`Oracle::new`] checks the configuration ([`OracleSection`], `[OracleDataSources]`,
//! `[OracleAssetDataSourcesPriority]`) once, at start-up; [`Oracle::prices`] is called once a
//! block and returns every asset of the OPR version in consensus order with the source each
//! price came from, or [`MissingPrices`] naming every asset it could not price and why each
//! source failed. The pieces:
//!
//! - [`source`]: the known sources and what each quotes; [`plan`]: who is asked for what.
//! - `coingecko`, `openexchangerates`, `exchangerate_api`, `coinbase`, `ecb`,
//!   `coinmarketcap`, `apilayer`, `coinpaprika`, `fixed_usd`: one adapter per API, over the shared request,
//!   retry and status rules of `http`.
//! - [`select`]: the choice among quotes (priority, and from version 5 PegNet's band around
//!   a trimmed mean); [`prices`]: the block's prices assembled; `cache`: per-source TTL.
//! - [`metrics`]: request, error, latency, cache, up and band-rejection metrics.

mod apilayer;
mod cache;
mod coinbase;
mod coingecko;
mod coinmarketcap;
mod coinpaprika;
pub mod config;
mod ecb;
mod error;
mod exchangerate_api;
mod fixed_usd;
mod http;
pub mod metrics;
mod openexchangerates;
mod oracle;
pub mod plan;
pub mod prices;
pub mod select;
pub mod source;

pub use config::{OracleConfigError, OracleSection, default_data_sources};
pub use error::{ErrorKind, MissingAsset, MissingPrices, SourceError};
pub use http::MAX_BODY_BYTES;
pub use oracle::Oracle;
pub use prices::{AssetPrice, Origin, Prices, Rejection};
pub use source::{Quotes, Source};
