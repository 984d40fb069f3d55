//! Simulated market prices: a deterministic random walk per asset.
//!
//! Tests and demos need prices that move like markets (so graders see spread and the
//! coordinator sees change from block to block) but are reproducible: the USD price of an
//! asset at step `n` is a pure function of the seed, the asset and `n`. Each asset's log price
//! follows a random walk with a volatility set by its class (fiat 0.1 %, metals 0.3 %, crypto
//! 1.5 %, PEG 2 % per step) and a weak pull back to a realistic base price, so that even a run
//! of hundreds of thousands of steps stays in a believable range instead of drifting to zero
//! or infinity.
//!
//! The noise for step `n` comes from ChaCha8 seeded with SHA-256 of (seed, asset, chunk of
//! 1024 steps), at a fixed position in that chunk's stream, so any step can be recomputed
//! from the nearest chunk start. Those starts are memoised (one `f64` per asset per 1024
//! steps) along with the last answer per asset, so asking for the current step again, or the
//! next one, is cheap and memory stays small. Values use `ln`, `cos` and `exp`, so they are
//! reproducible on one platform, not necessarily bit-identical across platforms.

use std::sync::{Mutex, PoisonError};

use pegnet_common::hash::sha256;
use pegnet_common::market::{self, AssetClass};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Steps per chunk: the spacing of memoised checkpoints and of ChaCha re-seeding.
const CHUNK: u64 = 1024;

/// ChaCha words one step consumes: two `u64` draws for one Box-Muller normal.
const WORDS_PER_STEP: u128 = 4;

/// The share of the log distance to the base price given back every step. With 0.001 the
/// long-run spread is about 22 times the per-step volatility: ±2 % for fiat, ±33 % for crypto.
const PULL_TO_BASE: f64 = 0.001;

/// The largest step served: about 16.7 million, 319 years of 10-minute blocks or 194 days
/// of 1-second devnet blocks. It bounds memoisation to 16 384 checkpoints per asset.
pub const MAX_STEP: u64 = 1 << 24;

/// Why a price could not be given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WalkError {
    /// The name is in no OPR asset list.
    #[error("unknown asset `{0}`: not in any OPR version's asset list")]
    UnknownAsset(String),
    /// The step is beyond [`MAX_STEP`].
    #[error("step {step} is beyond the largest simulated step {max}")]
    StepTooLarge {
        /// The step asked for.
        step: u64,
        /// [`MAX_STEP`].
        max: u64,
    },
}

/// The simulated USD price of every PegNet asset at every step, from one seed.
#[derive(Debug)]
pub struct PriceWalk {
    seed: u64,
    memo: Mutex<Vec<AssetMemo>>,
}

/// What is remembered of one asset's walk: the log deviation from the base price at every
/// chunk start computed so far, and the last step asked for.
#[derive(Debug, Clone)]
struct AssetMemo {
    checkpoints: Vec<f64>,
    last: Option<(u64, f64)>,
}

impl PriceWalk {
    /// A walk whose every price is determined by `seed`.
    pub fn new(seed: u64) -> Self {
        let memo = AssetMemo {
            checkpoints: vec![0.0],
            last: None,
        };
        Self {
            seed,
            memo: Mutex::new(vec![memo; market::MARKET_NAMES.len()]),
        }
    }

    /// The seed the walk was built from.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The USD price of one unit of `asset` (a PegNet name; `PNT` is `PEG`) at `step`.
    /// `USD` is exactly 1 at every step; step 0 is the base price.
    pub fn price(&self, asset: &str, step: u64) -> Result<f64, WalkError> {
        let asset = if asset == "PNT" { "PEG" } else { asset };
        let (index, base) = market::MARKET_NAMES
            .iter()
            .position(|m| m.asset == asset)
            .zip(base_price(asset))
            .ok_or_else(|| WalkError::UnknownAsset(asset.to_owned()))?;
        if step > MAX_STEP {
            return Err(WalkError::StepTooLarge {
                step,
                max: MAX_STEP,
            });
        }
        if asset == "USD" {
            return Ok(1.0);
        }
        let sigma = market::class(asset).map_or(0.0, volatility);
        let mut memo = self.memo.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(memo) = memo.get_mut(index) else {
            return Err(WalkError::UnknownAsset(asset.to_owned()));
        };
        let noise = Noise {
            seed: self.seed,
            asset,
            sigma,
        };
        Ok(base * noise.deviation(memo, step).exp())
    }
}

/// The per-step volatility (standard deviation of the log return) of an asset class.
pub fn volatility(class: AssetClass) -> f64 {
    match class {
        AssetClass::Fiat => 0.001,
        AssetClass::Metal => 0.003,
        AssetClass::Crypto => 0.015,
        AssetClass::Peg => 0.02,
    }
}

/// The walk of one asset.
struct Noise<'a> {
    seed: u64,
    asset: &'a str,
    sigma: f64,
}

impl Noise<'_> {
    /// The log deviation from the base price at `step`, resuming from the best memoised
    /// point at or before it and memoising every chunk start it passes.
    fn deviation(&self, memo: &mut AssetMemo, step: u64) -> f64 {
        let known = memo.checkpoints.len() as u64 - 1;
        let chunk = (step / CHUNK).min(known);
        let mut at = chunk * CHUNK;
        let mut x = memo.checkpoints.get(chunk as usize).copied().unwrap_or(0.0);
        if let Some((last_step, last_x)) = memo.last
            && last_step <= step
            && last_step > at
        {
            (at, x) = (last_step, last_x);
        }
        let mut rng: Option<ChaCha8Rng> = None;
        while at < step {
            let rng = rng.get_or_insert_with(|| self.rng_at(at));
            x = x * (1.0 - PULL_TO_BASE) + self.sigma * standard_normal(rng);
            at += 1;
            if at.is_multiple_of(CHUNK) {
                if at / CHUNK == memo.checkpoints.len() as u64 {
                    memo.checkpoints.push(x);
                }
                *rng = self.rng_at(at);
            }
        }
        memo.last = Some((step, x));
        x
    }

    /// The generator positioned at the noise of the step after `step`.
    fn rng_at(&self, step: u64) -> ChaCha8Rng {
        let mut key = Vec::with_capacity(64);
        key.extend_from_slice(b"pegnet-devnet price walk\0");
        key.extend_from_slice(&self.seed.to_le_bytes());
        key.extend_from_slice(self.asset.as_bytes());
        key.push(0);
        key.extend_from_slice(&(step / CHUNK).to_le_bytes());
        let mut rng = ChaCha8Rng::from_seed(sha256(&key));
        rng.set_word_pos(u128::from(step % CHUNK) * WORDS_PER_STEP);
        rng
    }
}

/// One standard normal draw (Box-Muller), from exactly two `u64`s.
fn standard_normal(rng: &mut ChaCha8Rng) -> f64 {
    // 53 random bits make a uniform double; 1 - u is in (0, 1], so ln never sees 0.
    let unit = |bits: u64| (bits >> 11) as f64 / (1u64 << 53) as f64;
    let u1 = 1.0 - unit(rng.next_u64());
    let u2 = unit(rng.next_u64());
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A realistic USD price of each asset (mid-2024), the centre of its walk.
pub fn base_price(asset: &str) -> Option<f64> {
    let usd = match asset {
        "PEG" | "PNT" => 0.0005,
        "USD" => 1.0,
        "EUR" => 1.08,
        "JPY" => 0.0067,
        "GBP" => 1.27,
        "CAD" => 0.73,
        "CHF" => 1.12,
        "INR" => 0.012,
        "SGD" => 0.74,
        "CNY" => 0.138,
        "HKD" => 0.128,
        "KRW" => 0.00073,
        "BRL" => 0.19,
        "PHP" => 0.0172,
        "MXN" => 0.058,
        "AUD" => 0.66,
        "NZD" => 0.60,
        "SEK" => 0.094,
        "NOK" => 0.092,
        "RUB" => 0.011,
        "ZAR" => 0.053,
        "TRY" => 0.031,
        "AED" => 0.2723,
        "ARS" => 0.0011,
        "TWD" => 0.031,
        "RWF" => 0.00077,
        "KES" => 0.0077,
        "UGX" => 0.00026,
        "TZS" => 0.00038,
        "BIF" => 0.00035,
        "ETB" => 0.0174,
        "NGN" => 0.00067,
        "XAU" => 2300.0,
        "XAG" => 27.0,
        "XPD" => 1000.0,
        "XPT" => 950.0,
        "XBT" => 60000.0,
        "ETH" => 3000.0,
        "LTC" => 80.0,
        "RVN" => 0.03,
        "XBC" => 450.0,
        "FCT" => 0.05,
        "BNB" => 580.0,
        "XLM" => 0.11,
        "ADA" => 0.45,
        "XMR" => 150.0,
        "DASH" => 28.0,
        "ZEC" => 25.0,
        "DCR" => 18.0,
        "EOS" => 0.8,
        "LINK" => 15.0,
        "ATOM" => 8.0,
        "BAT" => 0.25,
        "XTZ" => 0.9,
        "HBAR" => 0.09,
        "NEO" => 15.0,
        "CRO" => 0.1,
        "ETC" => 27.0,
        "ONT" => 0.25,
        "DOGE" => 0.15,
        "VET" => 0.03,
        "HT" => 0.5,
        "ALGO" => 0.18,
        "DGB" => 0.01,
        _ => return None,
    };
    Some(usd)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log_return_sd(walk: &PriceWalk, asset: &str, steps: u64) -> f64 {
        let returns: Vec<f64> = (0..steps)
            .map(|n| (walk.price(asset, n + 1).unwrap() / walk.price(asset, n).unwrap()).ln())
            .collect();
        let mean = returns.iter().sum::<f64>() / returns.len() as f64;
        let var =
            returns.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (returns.len() - 1) as f64;
        var.sqrt()
    }

    #[test]
    fn every_known_asset_has_a_base_price_and_a_class() {
        for asset in market::known_assets() {
            assert!(base_price(asset).is_some_and(|p| p > 0.0), "{asset}");
            assert!(market::class(asset).is_some(), "{asset}");
        }
    }

    #[test]
    fn same_seed_same_prices() {
        let (a, b) = (PriceWalk::new(7), PriceWalk::new(7));
        for asset in market::known_assets() {
            for step in [0, 1, 2, 1023, 1024, 1025, 5000] {
                assert_eq!(
                    a.price(asset, step),
                    b.price(asset, step),
                    "{asset} at {step}"
                );
            }
        }
    }

    #[test]
    fn different_seeds_different_prices() {
        let (a, b) = (PriceWalk::new(1), PriceWalk::new(2));
        for asset in market::known_assets().filter(|a| *a != "USD") {
            assert_ne!(a.price(asset, 10), b.price(asset, 10), "{asset}");
        }
    }

    #[test]
    fn order_of_questions_does_not_matter() {
        // Exercises every memo path: resuming from the last step, from checkpoints, going
        // back, crossing chunks; a fresh walk asked once must agree bit for bit.
        let memoised = PriceWalk::new(42);
        let questions = [5, 100, 3000, 2047, 2048, 2049, 10, 4096, 4095, 0, 3000];
        for step in questions {
            let fresh = PriceWalk::new(42);
            assert_eq!(
                memoised.price("ETH", step),
                fresh.price("ETH", step),
                "step {step}"
            );
        }
    }

    #[test]
    fn usd_is_one_and_everything_is_positive() {
        let walk = PriceWalk::new(3);
        for step in (0..3000).step_by(7) {
            assert_eq!(walk.price("USD", step), Ok(1.0));
            for asset in market::known_assets() {
                let p = walk.price(asset, step).unwrap();
                assert!(p.is_finite() && p > 0.0, "{asset} at {step}: {p}");
            }
        }
    }

    #[test]
    fn pnt_is_peg_and_step_zero_is_the_base() {
        let walk = PriceWalk::new(9);
        assert_eq!(walk.price("PNT", 77), walk.price("PEG", 77));
        assert_eq!(walk.price("XBT", 0), Ok(60000.0));
    }

    #[test]
    fn volatility_is_the_class_volatility() {
        let walk = PriceWalk::new(11);
        for (asset, class) in [
            ("EUR", AssetClass::Fiat),
            ("XAU", AssetClass::Metal),
            ("XBT", AssetClass::Crypto),
            ("PEG", AssetClass::Peg),
        ] {
            let sd = log_return_sd(&walk, asset, 1000);
            let want = volatility(class);
            assert!(
                sd > 0.8 * want && sd < 1.2 * want,
                "{asset}: {sd} vs {want}"
            );
        }
    }

    #[test]
    fn prices_stay_believable_over_a_long_run() {
        let walk = PriceWalk::new(5);
        for step in (0..200_000).step_by(997) {
            let ratio = walk.price("PEG", step).unwrap() / base_price("PEG").unwrap();
            assert!(
                ratio > 0.05 && ratio < 20.0,
                "PEG at {step} is {ratio} × base"
            );
        }
    }

    #[test]
    fn bad_questions_are_errors() {
        let walk = PriceWalk::new(0);
        assert_eq!(
            walk.price("XYZ", 0),
            Err(WalkError::UnknownAsset("XYZ".into()))
        );
        assert_eq!(
            walk.price("XBT", MAX_STEP + 1),
            Err(WalkError::StepTooLarge {
                step: MAX_STEP + 1,
                max: MAX_STEP
            })
        );
    }
}
