//! The cache file: reused when right, regenerated when the wrong length, an error when corrupt.

#![allow(clippy::unwrap_used, reason = "test helpers panic on broken fixtures")]

use std::fs;

use lxrhash::{CacheError, CacheOutcome, Table, file_name, load_or_generate};

#[test]
fn uses_the_reference_file_name() {
    assert_eq!(
        file_name(30),
        "lxrhash-seed-fafaececfafaecec-passes-5-size-30.dat"
    );
}

#[test]
fn generates_saves_then_reuses() {
    let dir = tempfile::tempdir().unwrap();
    let mut calls = 0;
    let first = load_or_generate(dir.path(), 12, &mut |_| calls += 1).unwrap();
    assert!(matches!(
        first.outcome,
        CacheOutcome::Generated {
            replaced_len: None,
            write_error: None
        }
    ));
    assert!(calls > 0, "progress is reported");
    assert_eq!(fs::read(&first.path).unwrap(), first.table.as_bytes());

    let second =
        load_or_generate(dir.path(), 12, &mut |_| panic!("no generation expected")).unwrap();
    assert!(matches!(second.outcome, CacheOutcome::Loaded));
    assert_eq!(second.table.as_bytes(), first.table.as_bytes());
}

#[test]
fn a_file_of_the_wrong_length_is_regenerated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(file_name(10));
    fs::write(&path, b"short").unwrap();
    let loaded = load_or_generate(dir.path(), 10, &mut |_| {}).unwrap();
    assert!(matches!(
        loaded.outcome,
        CacheOutcome::Generated {
            replaced_len: Some(5),
            write_error: None
        }
    ));
    let fresh = Table::generate(10, &mut |_| {}).unwrap();
    assert_eq!(fs::read(&path).unwrap(), fresh.as_bytes());
}

#[test]
fn a_corrupt_file_is_an_error_not_a_wrong_hash() {
    let dir = tempfile::tempdir().unwrap();
    let good = Table::generate(10, &mut |_| {}).unwrap();
    let mut bytes = good.as_bytes().to_vec();
    bytes[100] = bytes[100].wrapping_add(1);
    fs::write(dir.path().join(file_name(10)), &bytes).unwrap();
    let err = load_or_generate(dir.path(), 10, &mut |_| {}).unwrap_err();
    assert!(matches!(err, CacheError::Invalid { .. }), "{err}");
    assert!(err.to_string().contains("delete it to regenerate"));
}

#[test]
fn an_unreadable_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    // A symlink to itself cannot be opened or even stat'ed (ELOOP); permissions would not
    // stop root, which CI runs as.
    let path = dir.path().join(file_name(12));
    std::os::unix::fs::symlink(&path, &path).unwrap();
    let err = load_or_generate(dir.path(), 12, &mut |_| {}).unwrap_err();
    assert!(matches!(err, CacheError::Read { .. }), "{err}");
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
}

#[test]
fn sizes_outside_the_supported_range_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    assert!(load_or_generate(dir.path(), 7, &mut |_| {}).is_err());
    assert!(load_or_generate(dir.path(), 31, &mut |_| {}).is_err());
}

#[test]
fn a_shared_mapping_hashes_like_a_private_copy_and_checks_balance_too() {
    use lxrhash::{Placement, load_placed};
    let dir = tempfile::tempdir().unwrap();
    // Generated, saved, then mapped from the file.
    let shared = load_placed(dir.path(), 12, Placement::Shared, &mut |_| {}).unwrap();
    let private = load_placed(dir.path(), 12, Placement::Private, &mut |_| {}).unwrap();
    assert!(matches!(private.outcome, CacheOutcome::Loaded));
    assert_eq!(shared.table.as_bytes(), private.table.as_bytes());
    for input in [&b""[..], b"pegnet", &[7u8; 46]] {
        assert_eq!(shared.table.hash(input), private.table.hash(input));
    }
    let mut bytes = private.table.as_bytes().to_vec();
    bytes[7] = bytes[7].wrapping_add(1);
    fs::write(dir.path().join(file_name(12)), &bytes).unwrap();
    let err = load_placed(dir.path(), 12, Placement::Shared, &mut |_| {}).unwrap_err();
    assert!(matches!(err, CacheError::Invalid { .. }), "{err}");
}
