//! Asset lists per OPR version. Order is consensus: the protobuf `Assets[i]` and grading use
//! list position.

/// Version 1 (32 assets). PEG was called PNT then.
pub const ASSETS_V1: [&str; 32] = [
    "PNT", "USD", "EUR", "JPY", "GBP", "CAD", "CHF", "INR", "SGD", "CNY", "HKD", "KRW", "BRL",
    "PHP", "MXN", "XAU", "XAG", "XPD", "XPT", "XBT", "ETH", "LTC", "RVN", "XBC", "FCT", "BNB",
    "XLM", "ADA", "XMR", "DASH", "ZEC", "DCR",
];

/// Versions 2 and 3 (30 assets): V1 with PNT renamed PEG and XPD, XPT dropped.
pub const ASSETS_V2: [&str; 30] = [
    "PEG", "USD", "EUR", "JPY", "GBP", "CAD", "CHF", "INR", "SGD", "CNY", "HKD", "KRW", "BRL",
    "PHP", "MXN", "XAU", "XAG", "XBT", "ETH", "LTC", "RVN", "XBC", "FCT", "BNB", "XLM", "ADA",
    "XMR", "DASH", "ZEC", "DCR",
];

/// Version 4 (42 assets): V2 plus twelve.
pub const ASSETS_V4: [&str; 42] = [
    "PEG", "USD", "EUR", "JPY", "GBP", "CAD", "CHF", "INR", "SGD", "CNY", "HKD", "KRW", "BRL",
    "PHP", "MXN", "XAU", "XAG", "XBT", "ETH", "LTC", "RVN", "XBC", "FCT", "BNB", "XLM", "ADA",
    "XMR", "DASH", "ZEC", "DCR", "AUD", "NZD", "SEK", "NOK", "RUB", "ZAR", "TRY", "EOS", "LINK",
    "ATOM", "BAT", "XTZ",
];

/// Version 5, PegNet 2.0 (62 assets): V4 plus twenty.
pub const ASSETS_V5: [&str; 62] = [
    "PEG", "USD", "EUR", "JPY", "GBP", "CAD", "CHF", "INR", "SGD", "CNY", "HKD", "KRW", "BRL",
    "PHP", "MXN", "XAU", "XAG", "XBT", "ETH", "LTC", "RVN", "XBC", "FCT", "BNB", "XLM", "ADA",
    "XMR", "DASH", "ZEC", "DCR", "AUD", "NZD", "SEK", "NOK", "RUB", "ZAR", "TRY", "EOS", "LINK",
    "ATOM", "BAT", "XTZ", "HBAR", "NEO", "CRO", "ETC", "ONT", "DOGE", "VET", "HT", "ALGO", "DGB",
    "AED", "ARS", "TWD", "RWF", "KES", "UGX", "TZS", "BIF", "ETB", "NGN",
];

/// The asset list of an OPR version, in consensus order; `None` for an unknown version.
pub fn assets_for(version: u8) -> Option<&'static [&'static str]> {
    match version {
        1 => Some(&ASSETS_V1),
        2 | 3 => Some(&ASSETS_V2),
        4 => Some(&ASSETS_V4),
        5 => Some(&ASSETS_V5),
        _ => None,
    }
}
