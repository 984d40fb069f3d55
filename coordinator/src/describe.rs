//! Plain-text descriptions of entries and OPRs for operators: one `key value` fact per line.

use std::fmt::Write;

use pegnet_common::factom::Entry;
use pegnet_common::opr::{OprContent, assets_for};

/// The entry's own fields.
pub fn entry(e: &Entry) -> String {
    let mut s = String::new();
    line(&mut s, "chain_id", e.chain_id());
    line(&mut s, "entry_hash", e.hash());
    for (i, x) in e.ext_ids().iter().enumerate() {
        line(&mut s, &format!("ext_id[{i}]"), hex::encode(x));
    }
    line(&mut s, "content_bytes", e.content().len());
    line(&mut s, "ec_cost", e.ec_cost());
    s
}

/// The OPR fields of content written for `version`.
pub fn opr(version: u8, c: &OprContent) -> String {
    let mut s = String::new();
    line(&mut s, "opr_version", version);
    line(&mut s, "address", &c.address);
    line(&mut s, "id", &c.id);
    line(&mut s, "height", c.height);
    for (i, w) in c.winners.iter().enumerate() {
        line(&mut s, &format!("winner[{i}]"), hex::encode(w));
    }
    let names = assets_for(version).unwrap_or(&[]);
    for (i, v) in c.assets.iter().enumerate() {
        let name = names
            .get(i)
            .map_or_else(|| format!("asset[{i}]"), |n| (*n).to_owned());
        line(
            &mut s,
            &format!("asset {name}"),
            format!("{}.{:08}", v / 100_000_000, v % 100_000_000),
        );
    }
    s
}

fn line(s: &mut String, key: &str, value: impl std::fmt::Display) {
    writeln!(s, "{key} {value}").expect("write to String");
}
